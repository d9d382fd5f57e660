import * as wf from '@temporalio/workflow';
import type { SchedulePolicy, WorkerSettings } from '../contract';
import type { KeeperPhase } from './keeper-view';
import type { CompanyState } from './state';
import { mergedPolicy } from './state';

/** The phases each phase may move to; any other move is a bug, and fails the workflow task rather than the run. */
const PHASE_MOVES: Record<KeeperPhase, readonly KeeperPhase[]> = {
  starting: ['idle', 'retired'],
  idle: ['refreshing', 'reseeding', 'retired'],
  refreshing: ['idle', 'retired'],
  reseeding: ['idle', 'retired'],
  retired: [],
};

/**
 * Where a keeper's state and phase live: the one place either is assigned. Every value `set` is given comes from a
 * function of `transitions.ts` (status changes) or `state.ts`; the keeper's steps receive this cell, not the keeper.
 */
export class KeeperCell {
  private current: CompanyState;
  private phaseNow: KeeperPhase = 'starting';
  private settings: WorkerSettings | undefined;
  private wakeRequested = false;
  private listener: () => void = () => undefined;
  /** Refresh attempts started and completed in this run: a request waits for the attempt that serves it. */
  readonly attempts = { started: 0, completed: 0 };
  /** Why Plum refused a reseeded set, by the generation the reseed installed it as. */
  readonly reseedRefusals = new Map<number, string>();

  constructor(state: CompanyState) {
    this.current = state;
  }

  get state(): Readonly<CompanyState> {
    return this.current;
  }

  get phase(): KeeperPhase {
    return this.phaseNow;
  }

  get retired(): boolean {
    return this.phaseNow === 'retired';
  }

  get loaded(): boolean {
    return this.settings !== undefined;
  }

  get config(): WorkerSettings {
    if (!this.settings) throw new Error('worker settings are not loaded yet');
    return this.settings;
  }

  /** The schedule policy with the company's overrides. */
  get policy(): SchedulePolicy {
    return mergedPolicy(this.config.policy, this.current.policyOverrides);
  }

  load(settings: WorkerSettings): void {
    this.settings = settings;
  }

  set(next: CompanyState): void {
    this.current = next;
  }

  /** Shows the state to operators (the keeper listens: search attributes, details, alerts). */
  publish(): void {
    this.listener();
  }

  onPublish(listener: () => void): void {
    this.listener = listener;
  }

  enter(phase: KeeperPhase): void {
    if (!PHASE_MOVES[this.phaseNow].includes(phase)) throw new Error(`keeper phase ${this.phaseNow} → ${phase}`);
    this.phaseNow = phase;
  }

  /** Leaves a working phase for idle, unless a retire came meanwhile. */
  leave(phase: 'refreshing' | 'reseeding'): void {
    if (this.phaseNow === phase) this.enter('idle');
  }

  /** Resolves once nothing is refreshing or reseeding (or the keeper retired). */
  idle(): Promise<void> {
    return wf.condition(() => this.phaseNow === 'idle' || this.phaseNow === 'retired');
  }

  /** Resolves once start-up is over: settings loaded and, after a Reset, the newest set recovered. */
  started(): Promise<void> {
    return wf.condition(() => this.settings !== undefined && this.phaseNow !== 'starting');
  }

  /** A message or a reseed needs the loop to look again: a new wake time, a new build. */
  requestWake(): void {
    this.wakeRequested = true;
  }

  get wakePending(): boolean {
    return this.wakeRequested;
  }

  /** Whether a wake was asked for since the loop last looked; the loop takes it. */
  takeWake(): boolean {
    const requested = this.wakeRequested;
    this.wakeRequested = false;
    return requested;
  }
}
