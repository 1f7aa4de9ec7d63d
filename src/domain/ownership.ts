/**
 * Ownership marks: the labels this controller sets on every container it creates. Labels are create-only
 * in Rancher v1 (docs/rancher-v1.md, "Fields") but settable at create, so they survive the loss of any
 * local state and prove that a same-name twin left by a late-committed create is ours. Pure.
 */
import type { InstanceKey, LiveInstance } from './instance.js';

/** Always `rancher-reconciler` on what we created. */
export const createdByLabel = 'rancher-reconciler.created-by';
/** The manifest key (`metadata.name`) the container was created for. */
export const keyLabel = 'rancher-reconciler.key';
/** A fresh id per POST attempt: tells apart the twins of one create. */
export const createIdLabel = 'rancher-reconciler.create-id';
export const createdByValue = 'rancher-reconciler';

/** The prefix of every label name this controller reserves; a manifest may not declare them. */
export const ownershipLabelPrefix = 'rancher-reconciler.';

/** The labels a create for `key` carries (the create id is added per attempt by the API client). */
export function ownershipLabels(key: InstanceKey): Readonly<Record<string, string>> {
  return { [createdByLabel]: createdByValue, [keyLabel]: key };
}

function labelsOf(live: LiveInstance): Readonly<Record<string, unknown>> {
  const labels = live.fields.labels;
  return labels !== null && typeof labels === 'object' && !Array.isArray(labels) ? (labels as Record<string, unknown>) : {};
}

/** The manifest key a container was created for, when it carries our marks; else undefined. */
export function createdForKey(live: LiveInstance): InstanceKey | undefined {
  const labels = labelsOf(live);
  const key = labels[keyLabel];
  return labels[createdByLabel] === createdByValue && typeof key === 'string' && key !== '' ? key : undefined;
}
