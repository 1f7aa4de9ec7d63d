/**
 * The metrics of the manifest source: the git source (commit info, fetch duration and errors, source
 * readiness) and the webhook receivers. Registered on the process's private registry by createMetrics;
 * callers use the typed helpers and never see label strings.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { ScopedRegisters } from './metrics.js';
import type { GitFailureReason } from '../errors.js';

/** The webhook providers (`/hooks/<provider>`). */
export const webhookProviders = ['github', 'gitlab', 'gitea', 'generic'] as const;
export type WebhookProvider = (typeof webhookProviders)[number];

/**
 * What one webhook request ended as (the `result` label):
 * `triggered` a push for our repository and ref (a fetch was asked for); `ignored` a valid push or event
 * that matched nothing (202, logged with the reason); `ping` a provider's test event (200);
 * `unauthorized` a missing or wrong signature/token (401); `invalid` an unparsable body or a body over
 * the limit (400/413); `disabled` a provider with no secret configured (404).
 */
export const webhookResults = ['triggered', 'ignored', 'ping', 'unauthorized', 'invalid', 'disabled'] as const;
export type WebhookResult = (typeof webhookResults)[number];

/** The current commit as the info gauge shows it. */
export type SourceInfo = Readonly<{ kind: 'git' | 'folder'; url: string; ref: string; commit: string }>;

export interface SourceMetrics {
  /** `rancher_reconciler_source_info{kind,url,ref,commit}` = 1 for the current commit only. */
  setSourceInfo(info: SourceInfo): void;
  /** `rancher_reconciler_source_ready`: 1 while the source is fetching fine, 0 while it fails. */
  setSourceReady(ready: boolean): void;
  /** `rancher_reconciler_git_fetch_duration_seconds{result}`: one poll (ls-remote, and the fetch and checkout when the commit moved). */
  observeGitFetch(event: Readonly<{ ok: boolean; durationMs: number }>): void;
  /** `rancher_reconciler_git_fetch_errors_total{reason}`. */
  incGitFetchError(reason: GitFailureReason): void;
  /** `rancher_reconciler_webhook_requests_total{provider,result}`. */
  incWebhook(provider: WebhookProvider, result: WebhookResult): void;
}

const prefix = 'rancher_reconciler_';
const gitReasons: readonly GitFailureReason[] = ['auth', 'host-key', 'unreachable', 'not-found', 'ref-not-found', 'timeout', 'corrupt', 'aborted', 'failed'];

/** Registers the source metrics on `registry`, every label pre-created at zero. */
export function createSourceMetrics(scoped: ScopedRegisters): SourceMetrics {
  const registers = scoped.environment;
  const info = new Gauge({ name: `${prefix}source_info`, help: 'The manifest source and the commit it is at (value 1)', labelNames: ['kind', 'url', 'ref', 'commit'] as const, registers });
  const ready = new Gauge({ name: `${prefix}source_ready`, help: 'Whether the manifest source fetches fine (1) or fails and keeps the last good commit (0)', registers });
  const fetchDuration = new Histogram({
    name: `${prefix}git_fetch_duration_seconds`, help: 'One git poll: ls-remote, and fetch + checkout when the commit moved',
    labelNames: ['result'] as const, buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120], registers,
  });
  const fetchErrors = new Counter({ name: `${prefix}git_fetch_errors_total`, help: 'Failed git polls by reason', labelNames: ['reason'] as const, registers });
  const webhooks = new Counter({ name: `${prefix}webhook_requests_total`, help: 'Webhook requests by provider and result', labelNames: ['provider', 'result'] as const, registers: scoped.process });
  for (const reason of gitReasons) fetchErrors.labels(reason).inc(0);
  for (const provider of webhookProviders) for (const result of webhookResults) webhooks.labels(provider, result).inc(0);
  ready.set(1);
  return {
    setSourceInfo({ kind, url, ref, commit }) {
      info.reset();
      info.labels(kind, url, ref, commit).set(1);
    },
    setSourceReady: (value) => ready.set(value ? 1 : 0),
    observeGitFetch: ({ ok, durationMs }) => fetchDuration.labels(ok ? 'ok' : 'error').observe(Math.max(0, durationMs) / 1000),
    incGitFetchError: (reason) => fetchErrors.labels(reason).inc(),
    incWebhook: (provider, result) => webhooks.labels(provider, result).inc(),
  };
}
