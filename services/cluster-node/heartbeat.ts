/**
 * The heartbeat service (the original's `heartbeat` minion, services.md §4): a sanity service
 * that, on every node where `cluster.heartbeat.enabled` is true, logs `Beat` at INFO on logger
 * `org.midonet.cluster.services.heartbeat` every `cluster.heartbeat.period` (first after
 * `cluster.heartbeat.delay`) and counts it (`midonet_cluster_heartbeat_beats_total`). No ZooKeeper,
 * no failover: every enabled node beats. (`cluster.heartbeat.threads` has no meaning here.)
 */
import type { Logger } from '../../lib/log/logger.js';
import type { ClusterService, ServiceContext } from './service.js';

export interface HeartbeatOptions {
  delayMs: number;
  periodMs: number;
  log: Logger;
  /** called on every beat (the metric) */
  onBeat?: () => void;
}

export class Heartbeat {
  private timer?: NodeJS.Timeout;
  private beatCount = 0;

  constructor(private readonly opts: HeartbeatOptions) {}

  get beats(): number {
    return this.beatCount;
  }

  start(): void {
    if (this.timer) return;
    const period = Math.max(1, this.opts.periodMs);
    this.opts.log.info('heartbeat service started', { delayMs: this.opts.delayMs, periodMs: period });
    const beat = (): void => {
      this.beatCount++;
      this.opts.log.info('Beat', { beat: this.beatCount });
      try {
        this.opts.onBeat?.();
      } catch {
        // a metric must not stop the beat
      }
    };
    this.timer = setTimeout(
      () => {
        beat();
        this.timer = setInterval(beat, period);
        this.timer.unref();
      },
      Math.max(0, this.opts.delayMs),
    );
    this.timer.unref();
  }

  stop(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    clearInterval(this.timer);
    this.timer = undefined;
    this.opts.log.info('heartbeat service stopped', { beats: this.beatCount });
  }
}

/** The heartbeat as a node service (./service.ts): every node, no ZooKeeper. */
export class HeartbeatService implements ClusterService {
  readonly name = 'heartbeat';
  readonly enabledKey = 'cluster.heartbeat.enabled';
  readonly runsOn = { kind: 'every-node' } as const;
  readonly onSessionExpiry = 'ignore';
  private beat?: Heartbeat;

  /** the beating heartbeat, once started (kept after stop: its count) */
  get current(): Heartbeat | undefined {
    return this.beat;
  }

  start(ctx: ServiceContext): void {
    const metrics = ctx.metrics;
    this.beat = new Heartbeat({
      delayMs: ctx.settings.number('cluster.heartbeat.delay'),
      periodMs: ctx.settings.number('cluster.heartbeat.period'),
      log: ctx.log,
      onBeat: metrics ? () => metrics.heartbeat() : undefined,
    });
    this.beat.start();
  }

  stop(): void {
    this.beat?.stop();
  }
}
