import type { SectionResult } from '../../bench/lib/report';
import type { ChaosLab } from '../lib/lab';
import type { SeededRandom } from '../lib/random';
import type { ChaosSizes } from '../lib/sizes';
import { killWorkers } from './r1-kills';

export type Experiment = (lab: ChaosLab, sizes: ChaosSizes, random: SeededRandom) => Promise<SectionResult>;

/** The experiments in the order they run; R6 and R7 read what the others left behind, so they come last. */
export const EXPERIMENTS = {
  R1: killWorkers,
} satisfies Record<string, Experiment>;
export type ExperimentId = keyof typeof EXPERIMENTS;
