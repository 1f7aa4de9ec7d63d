/**
 * Which Rancher environment the configuration points at, beyond the URL itself: whether the URL was
 * rewritten to its v1 form (said once in the log at startup) and the `--environment` to look up, with
 * the one combination that is an error (a URL that names a project plus an environment).
 */
import { redactUrl } from '../errors.js';
import { parseApiUrl } from '../rancher/api-config.js';
import type { RawValue } from './raw-values.js';
import type { Values } from './secrets.js';

/** The part of `Config.api` this module decides; both fields are absent when they do not apply. */
export type RancherTarget = Readonly<{
  /** The URL as given (no trailing slash, no userinfo) when it was rewritten to `.../v1[/projects/<id>]`. */
  urlMappedFrom?: string;
  /** `--environment`: a project id (`1a5`) or a name, resolved once at startup (src/rancher/environment-resolve.ts). */
  environment?: string;
}>;

/**
 * Reads the target from the parsed `values` (the URL already canonical) and the `raws` they came from.
 * Adds an issue, naming both sources, when the URL already names a project and `--environment` is set
 * too: two answers to one question, and no way to tell which one was meant.
 */
export function rancherTargetFrom(values: Values, raws: ReadonlyMap<string, RawValue>, issues: string[]): RancherTarget {
  const url = values.get('url') as string | undefined;
  const environment = values.get('environment') as string | undefined;
  const given = raws.get('url');
  const parsedGiven = given === undefined ? undefined : parseApiUrl(String(given.value).trim());
  const mappedFrom = parsedGiven !== undefined && !('issues' in parsedGiven) ? parsedGiven.mappedFrom : undefined;
  const projectId = url === undefined ? undefined : projectOf(url);
  if (environment !== undefined && projectId !== undefined) {
    const envLabel = raws.get('environment')?.label ?? '--environment';
    const urlLabel = given?.label ?? '--url';
    issues.push(`${envLabel} and ${urlLabel} both name a project (\`${environment}\` and \`${projectId}\` in \`${redactUrl(url ?? '')}\`): give it in one of them`);
  }
  return {
    ...(mappedFrom === undefined ? {} : { urlMappedFrom: mappedFrom }),
    ...(environment === undefined ? {} : { environment }),
  };
}

function projectOf(url: string): string | undefined {
  const parsed = parseApiUrl(url);
  return 'issues' in parsed ? undefined : parsed.projectId;
}
