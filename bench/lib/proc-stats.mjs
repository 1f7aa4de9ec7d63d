/**
 * Process and machine figures from Linux's /proc: a process's peak RSS and CPU time, and the machine's
 * busy CPU between two snapshots. Everything reads NaN where /proc is missing (not Linux), so a figure
 * shows `NaN` rather than the bench failing.
 */
import { readFileSync } from 'node:fs';

// USER_HZ: the unit of /proc's CPU counters; 100 on every Linux the bench runs on (`getconf CLK_TCK`)
const ticksPerSecond = 100;

function read(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process has exited, or this is not Linux: the caller's figure reads NaN
  }
}

/** VmHWM (peak RSS) and VmRSS of a live process, in MB. */
export function rssOf(pid) {
  const text = read(`/proc/${pid}/status`);
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text ?? '')?.[1] ?? NaN);
  return { peakMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
}

/** CPU seconds (user + system) a live process has used so far. */
export function cpuSecondsOf(pid) {
  const text = read(`/proc/${pid}/stat`);
  if (text === undefined) return NaN;
  // the command name (field 2) may hold spaces and parentheses: count fields from the last ')'
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond; // utime, stime (fields 14, 15)
}

/** A snapshot of the machine's CPU counters (all cores), for `busyCores`. */
export function machineCpu() {
  const line = read('/proc/stat')?.split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.slice(0, 8).reduce((sum, n) => sum + n, 0); // user .. steal (guest is inside user)
  const idle = (values[3] ?? NaN) + (values[4] ?? NaN); // idle + iowait
  return { atMs: performance.now(), total, idle };
}

/** Cores busy on average between two `machineCpu()` snapshots (2 = both cores of a 2-core machine, all the time). */
export function busyCores(before, after) {
  const seconds = (after.atMs - before.atMs) / 1000;
  return (after.total - before.total - (after.idle - before.idle)) / ticksPerSecond / seconds;
}

/** The 1-minute load average. */
export function loadAverage() {
  return Number(read('/proc/loadavg')?.split(' ')[0] ?? NaN);
}
