import { ReconcilerError } from '../errors.js';
import type { FaultPlan } from './faults.js';
import { plannedHealthStates } from './health.js';

/** The effect names a fault rule can have (documented on `FaultRule`). */
export const faultEffects = ['error', 'drop-before', 'drop-after', 'latency', 'commit-late', 'commit-then-fail'] as const;

const effects = new Set<string>(faultEffects);
const planKeys = new Set(['rules', 'rateLimit', 'failStartImages', 'healthImages', 'rejectSubscriptions', 'stallStream', 'partition', 'seed']);
const ruleKeys = new Set(['method', 'path', 'action', 'effect', 'status', 'reset', 'retryAfterSec', 'latencyMs', 'delayMs', 'probability', 'times']);
const gatewayStatuses = [502, 503, 504];

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const show = (value: unknown): string => (value === undefined ? 'nothing' : `\`${JSON.stringify(value)}\``);

/** Collects the problems of one optional integer field into `issues`. */
function int(issues: string[], where: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    issues.push(`Expected \`${where}\` to be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}, got ${show(value)}`);
  }
}

function checkRule(issues: string[], rule: unknown, index: number): void {
  const at = `rules[${index}]`;
  if (!isObject(rule)) {
    issues.push(`Expected \`${at}\` to be an object, got ${show(rule)}`);
    return;
  }
  for (const key of Object.keys(rule)) if (!ruleKeys.has(key)) issues.push(`Unknown key \`${at}.${key}\``);
  if (typeof rule['effect'] !== 'string' || !effects.has(rule['effect'])) {
    issues.push(`Expected \`${at}.effect\` to be one of ${[...effects].join(', ')}, got ${show(rule['effect'])}`);
  }
  for (const key of ['method', 'path', 'action']) {
    if (rule[key] !== undefined && typeof rule[key] !== 'string') issues.push(`Expected \`${at}.${key}\` to be a string, got ${show(rule[key])}`);
  }
  if (typeof rule['path'] === 'string') {
    try {
      new RegExp(rule['path']);
    } catch {
      // the SyntaxError text adds nothing the issue does not say
      issues.push(`Expected \`${at}.path\` to be a regular expression, got ${show(rule['path'])}`);
    }
  }
  if (rule['effect'] === 'commit-then-fail') {
    if (rule['status'] !== undefined && !gatewayStatuses.includes(rule['status'] as number)) {
      issues.push(`Expected \`${at}.status\` to be 502, 503 or 504, got ${show(rule['status'])}`);
    }
    if (rule['reset'] === true && rule['status'] !== undefined) issues.push(`Expected \`${at}\` to have \`status\` or \`reset: true\`, got both`);
  } else {
    int(issues, `${at}.status`, rule['status'], 100, 599);
  }
  if (rule['reset'] !== undefined && typeof rule['reset'] !== 'boolean') issues.push(`Expected \`${at}.reset\` to be a boolean, got ${show(rule['reset'])}`);
  int(issues, `${at}.retryAfterSec`, rule['retryAfterSec'], 0);
  int(issues, `${at}.latencyMs`, rule['latencyMs'], 0);
  int(issues, `${at}.delayMs`, rule['delayMs'], 0);
  if (rule['effect'] === 'commit-late' && rule['delayMs'] === undefined) issues.push(`Expected \`${at}.delayMs\` for a commit-late rule, got nothing`);
  int(issues, `${at}.times`, rule['times'], 0);
  const probability = rule['probability'];
  if (probability !== undefined && (typeof probability !== 'number' || !(probability >= 0 && probability <= 1))) {
    issues.push(`Expected \`${at}.probability\` to be a number from 0 to 1, got ${show(probability)}`);
  }
}

/** Collects the problems of `healthImages` (imageUuid -> healthy, unhealthy or initializing) into `issues`. */
function checkHealthImages(issues: string[], images: unknown): void {
  if (images === undefined) return;
  if (!isObject(images)) {
    issues.push(`Expected \`healthImages\` to be an object of imageUuid to ${plannedHealthStates.join(', ')}, got ${show(images)}`);
    return;
  }
  for (const [image, state] of Object.entries(images)) {
    if (!(plannedHealthStates as readonly unknown[]).includes(state)) {
      issues.push(`Expected \`healthImages[${JSON.stringify(image)}]\` to be one of ${plannedHealthStates.join(', ')}, got ${show(state)}`);
    }
  }
}

/**
 * Checks a fault plan as received (from code or from `PUT /_emulator/faults`). Throws one ReconcilerError
 * `ERR_EMULATOR` naming every problem (expected/got style); returns when the plan is valid.
 */
export function checkFaultPlan(plan: FaultPlan): void {
  const issues: string[] = [];
  const raw: unknown = plan;
  if (!isObject(raw)) throw new ReconcilerError('ERR_EMULATOR', `invalid fault plan: Expected an object, got ${show(raw)}`);
  for (const key of Object.keys(raw)) if (!planKeys.has(key)) issues.push(`Unknown key \`${key}\``);
  if (raw['rules'] !== undefined) {
    if (Array.isArray(raw['rules'])) raw['rules'].forEach((rule: unknown, index) => checkRule(issues, rule, index));
    else issues.push(`Expected \`rules\` to be an array, got ${show(raw['rules'])}`);
  }
  const rateLimit = raw['rateLimit'];
  if (rateLimit !== undefined) {
    if (isObject(rateLimit)) {
      if (rateLimit['rps'] === undefined) issues.push('Expected `rateLimit.rps`, got nothing');
      int(issues, 'rateLimit.rps', rateLimit['rps'], 1);
      int(issues, 'rateLimit.retryAfterSec', rateLimit['retryAfterSec'], 0);
    } else {
      issues.push(`Expected \`rateLimit\` to be an object, got ${show(rateLimit)}`);
    }
  }
  const images = raw['failStartImages'];
  if (images !== undefined && !(Array.isArray(images) && images.every((image) => typeof image === 'string'))) {
    issues.push(`Expected \`failStartImages\` to be an array of strings, got ${show(images)}`);
  }
  checkHealthImages(issues, raw['healthImages']);
  for (const key of ['rejectSubscriptions', 'stallStream']) {
    if (raw[key] !== undefined && typeof raw[key] !== 'boolean') issues.push(`Expected \`${key}\` to be a boolean, got ${show(raw[key])}`);
  }
  const partition = raw['partition'];
  if (partition !== undefined) {
    if (isObject(partition) && partition['durationMs'] !== undefined) int(issues, 'partition.durationMs', partition['durationMs'], 0, 3_600_000);
    else issues.push(`Expected \`partition\` to be {durationMs}, got ${show(partition)}`);
  }
  int(issues, 'seed', raw['seed'], 0, 4_294_967_295);
  if (issues.length > 0) throw new ReconcilerError('ERR_EMULATOR', `invalid fault plan: ${issues.join('; ')}`);
}
