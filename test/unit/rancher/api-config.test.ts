import { describe, expect, test } from '@jest/globals';
import { parseApiUrl } from '../../../src/rancher/api-config.js';

describe('parseApiUrl', () => {
  test.each<[string, string, unknown]>([
    ['plain /v1', 'http://rancher:8080/v1', { baseUrl: 'http://rancher:8080/v1' }],
    ['/v1 with a trailing slash', 'http://rancher:8080/v1/', { baseUrl: 'http://rancher:8080/v1' }],
    ['a project-scoped URL', 'https://r.example/v1/projects/1a5', { baseUrl: 'https://r.example/v1/projects/1a5', projectId: '1a5' }],
    ['a project-scoped URL with a trailing slash', 'https://r.example/v1/projects/1a5/', { baseUrl: 'https://r.example/v1/projects/1a5', projectId: '1a5' }],
  ])('accepts %s', (_rule, url, expected) => expect(parseApiUrl(url)).toEqual(expected));

  test.each<[string, string, RegExp]>([
    ['a URL without /v1', 'http://rancher:8080/', /path to be \/v1/],
    ['the v2-beta API', 'http://rancher:8080/v2-beta', /path to be \/v1/],
    ['a deeper path', 'http://rancher:8080/v1/containers', /path to be \/v1/],
    ['another scheme', 'ftp://rancher/v1', /http or https/],
    ['not a URL', 'rancher:8080', /http or https|Expected/],
    ['a query string', 'http://rancher/v1?x=1', /query/],
  ])('rejects %s', (_rule, url, message) => {
    const result = parseApiUrl(url);
    expect('issues' in result && result.issues.join('; ')).toMatch(message);
  });

  test('rejects credentials in the URL without echoing them', () => {
    const result = parseApiUrl('http://key:s3cr3t@rancher:8080/v1');
    expect('issues' in result).toBe(true);
    expect(JSON.stringify(result)).not.toContain('s3cr3t');
  });
});
