// Renders helm/baton with `helm template` and parses the manifests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { RunResult } from './exec';
import { CHART_DIR, helm } from './helm';
import { isKubeObject, type KindMap, type KubeObject } from './kube';

export const RELEASE = 'rel';
export const NAMESPACE = 'baton-test';

/** Values that satisfy the chart's one requirement: Redis endpoints. */
export const REDIS_CLUSTER = { redis: { cluster: ['redis-0.redis:6379', 'redis-1.redis:6379', 'redis-2.redis:6379'] } };

/** Runs `helm <command> <chart> -f <values> ...`; values are written as JSON, which is YAML. */
export async function helmWithValues(
  command: readonly string[],
  values: object,
  extraArgs: readonly string[] = [],
): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-values-'));
  try {
    const file = join(dir, 'values.json');
    writeFileSync(file, JSON.stringify(values));
    return await helm([...command, CHART_DIR, '-f', file, ...extraArgs]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `helm template` with the given values, as-is: the caller checks the exit code and messages. */
export function template(values: object, extraArgs: readonly string[] = []): Promise<RunResult> {
  return helmWithValues(['template', RELEASE], values, ['--namespace', NAMESPACE, ...extraArgs]);
}

export function parseManifests(text: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) throw new Error(`rendered YAML does not parse: ${document.errors.join('; ')}`);
    const value: unknown = document.toJS();
    if (value === null) continue; // empty document between separators
    if (!isKubeObject(value)) throw new Error(`rendered document is not a Kubernetes object: ${JSON.stringify(value)}`);
    objects.push(value);
  }
  return objects;
}

/** Renders the chart and returns its objects; rejects with helm's message when rendering fails. */
export async function render(values: object, extraArgs: readonly string[] = []): Promise<KubeObject[]> {
  const result = await template(values, extraArgs);
  if (result.code !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return parseManifests(result.stdout);
}

/** The only object of `kind` (and `name`, if given), typed by its kubernetes-models interface. */
export function only<K extends keyof KindMap>(objects: readonly KubeObject[], kind: K, name?: string): KindMap[K] {
  const matches = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  const [match, ...rest] = matches;
  if (match === undefined || rest.length > 0) {
    throw new Error(`expected one ${kind}${name === undefined ? '' : ` ${name}`}, found ${matches.length}`);
  }
  return match as unknown as KindMap[K];
}

export function kinds(objects: readonly KubeObject[]): string[] {
  return objects.map((o) => o.kind).sort();
}
