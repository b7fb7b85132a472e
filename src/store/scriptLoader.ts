import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Assembles a Lua script from its file and the includes it declares, since Redis Lua has no `require`.
 *
 * A file declares an include on a line of its own: `--- @include "includes/events"`, a path relative to the Lua
 * root without `.lua`. Includes may include others. Each include is emitted once per script, before the first file
 * that needs it, however many paths reach it, so a script pays only for what it uses and a helper is never defined
 * twice. A cycle, a missing file, a malformed directive or an include declared twice in one file is an error: each
 * would otherwise surface only when the script runs.
 */

export class ScriptLoadError extends Error {
  override name = 'ScriptLoadError';
}

const INCLUDE_LINE = /^---[ \t]*@include[ \t]+"([^"]+)"[ \t]*\r?\n?/gm;
const ANY_INCLUDE = /@include\b/;

function sourcePath(root: string, name: string): string {
  return join(root, `${name}.lua`);
}

/** `name` (e.g. `commands/claim`) under `root`, with every include it reaches inlined once. */
export function assembleScript(root: string, name: string): string {
  const parts: string[] = [];
  const emitted = new Set<string>();
  const chain: string[] = [];

  const visit = (file: string, includedFrom: string | undefined): void => {
    if (emitted.has(file)) return;
    if (chain.includes(file)) {
      throw new ScriptLoadError(`Lua include cycle: ${[...chain.slice(chain.indexOf(file)), file].join(' -> ')}`);
    }
    const path = sourcePath(root, file);
    if (!existsSync(path)) {
      const from = includedFrom === undefined ? '' : ` (included from ${includedFrom}.lua)`;
      throw new ScriptLoadError(`Lua script ${file} not found at ${path}${from}`);
    }
    const source = readFileSync(path, 'utf8');
    const includes = [...source.matchAll(INCLUDE_LINE)].map((match) => match[1] ?? '');
    const body = source.replace(INCLUDE_LINE, '');
    const stray = body.split('\n').find((line) => ANY_INCLUDE.test(line));
    if (stray !== undefined) {
      throw new ScriptLoadError(`${file}.lua: malformed include line '${stray.trim()}' (want --- @include "dir/name")`);
    }
    chain.push(file);
    const seen = new Set<string>();
    for (const include of includes) {
      if (seen.has(include)) throw new ScriptLoadError(`${file}.lua includes ${include} twice`);
      seen.add(include);
      visit(include, file);
    }
    chain.pop();
    emitted.add(file);
    parts.push(body.endsWith('\n') ? body : `${body}\n`);
  };

  visit(name, undefined);
  return parts.join('');
}
