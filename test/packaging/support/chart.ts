// Renders helm/baton with `helm template` and parses the manifests.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  chartDir = CHART_DIR,
): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-values-'));
  try {
    const file = join(dir, 'values.json');
    writeFileSync(file, JSON.stringify(values));
    return await helm([...command, chartDir, '-f', file, ...extraArgs]);
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

/**
 * NOTES.txt as `helm install` would print it. `helm template` skips NOTES.txt, so a copy of the chart
 * turns it into a named template and renders it into a ConfigMap.
 */
export async function renderNotes(values: object): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-notes-'));
  try {
    const chart = join(dir, 'baton');
    cpSync(CHART_DIR, chart, { recursive: true });
    const notes = readFileSync(join(chart, 'templates/NOTES.txt'), 'utf8');
    rmSync(join(chart, 'templates/NOTES.txt'));
    writeFileSync(join(chart, 'templates/_notes_under_test.tpl'), `{{- define "test.notes" -}}\n${notes}{{- end }}\n`);
    writeFileSync(
      join(chart, 'templates/notes-under-test.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ include "test.notes" . | quote }}\n',
    );
    const result = await helmWithValues(['template', RELEASE], values, ['--namespace', NAMESPACE, '--show-only', 'templates/notes-under-test.yaml'], chart);
    if (result.code !== 0) throw new Error(`rendering NOTES.txt failed:\n${result.stderr}`);
    const [configMap] = parseManifests(result.stdout) as unknown as { data: { notes: string } }[];
    if (configMap === undefined) throw new Error('NOTES.txt rendered nothing');
    return configMap.data.notes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
