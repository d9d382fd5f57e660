import type { SectionResult } from '../../bench/lib/report';
import type { ChaosLab } from '../lib/lab';
import type { SeededRandom } from '../lib/random';
import type { ChaosSizes } from '../lib/sizes';
import { rollingDeploy } from './deploy';
import { killWorkers } from './r1-kills';
import { restartServer } from './r2-server';
import { upstreamOutage } from './r3-outage';
import { rejectionShapes } from './r4-rejections';
import { fuzzInputs } from './r5-fuzz';
import { secretScan } from './r6-secrets';
import { replayHistories } from './r7-replay';
import { messagesInFlight } from './r8-messages';

export type Experiment = (lab: ChaosLab, sizes: ChaosSizes, random: SeededRandom) => Promise<SectionResult>;

/** The experiments in the order they run; R6 and R7 read what the others left behind, so they come last. */
export const EXPERIMENTS = {
  R1: killWorkers,
  R2: restartServer,
  R3: upstreamOutage,
  R4: rejectionShapes,
  R5: fuzzInputs,
  R8: messagesInFlight,
  DEPLOY: rollingDeploy,
  R6: secretScan,
  R7: replayHistories,
} satisfies Record<string, Experiment>;
export type ExperimentId = keyof typeof EXPERIMENTS;
