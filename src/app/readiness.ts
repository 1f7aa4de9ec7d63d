/**
 * `/readyz`: ready after the first full list of live state and the first complete parse of the manifest
 * tree (not merely a read that found the folder missing), with every reason it is not, the Rancher API's
 * own first (rejected keys, not the API, unreachable), then the manifest source's (a git remote that fails).
 */
export type ReadinessInputs = Readonly<{
  /** The API condition's reason, or undefined while the API answers (api-condition-tracker.ts). */
  apiReason: (liveReady: boolean) => string | undefined;
  /** The manifest source's reason (the git source failing to fetch), undefined while it is fine. */
  sourceReason?: () => string | undefined;
  live: Readonly<{ ready: boolean }>;
  desired: Readonly<{ loaded: boolean }>;
  parsedCompletely: () => boolean;
}>;

export function readinessOf(inputs: ReadinessInputs): { ready: boolean; reasons: string[] } {
  const reasons: string[] = [];
  const apiReason = inputs.apiReason(inputs.live.ready);
  if (apiReason !== undefined) reasons.push(apiReason);
  const sourceReason = inputs.sourceReason?.();
  if (sourceReason !== undefined) reasons.push(sourceReason);
  if (!inputs.desired.loaded) reasons.push('manifests not read yet');
  else if (!inputs.parsedCompletely()) reasons.push('manifests not parsed completely yet (see /status manifestIssues)');
  if (!inputs.live.ready && apiReason === undefined) reasons.push('live state not listed yet');
  return { ready: reasons.length === 0, reasons };
}
