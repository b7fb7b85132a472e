// A small Dockerfile parser and .dockerignore matcher: enough to check what the Dockerfile claims and to
// replay its stages without Docker (see image.ts). Follows the Dockerfile reference for comments, line
// continuations, flags, exec (JSON) form and ${VAR} substitution in FROM; and moby's patternmatcher for
// .dockerignore (last matching pattern wins, a pattern matching a parent directory matches its files).

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, ... */
  readonly keyword: string;
  /** `--name=value` flags before the arguments (COPY --from, RUN --mount, ...). Repeated flags: last wins. */
  readonly flags: ReadonlyMap<string, string>;
  /** Arguments after the flags, as written. */
  readonly args: string;
  /** 1-based line of the instruction's first line. */
  readonly line: number;
}

export interface Stage {
  readonly index: number;
  readonly name: string | undefined;
  /** Base image with ARG defaults substituted. */
  readonly from: string;
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  readonly stages: readonly Stage[];
}

const FLAG = /^--([a-z-]+)(?:=(\S*))?$/;

function splitFlags(rest: string): { flags: Map<string, string>; args: string } {
  const flags = new Map<string, string>();
  let args = rest.trim();
  for (;;) {
    const match = /^(\S+)\s*/.exec(args);
    const token = match?.[1];
    const flag = token === undefined ? null : FLAG.exec(token);
    if (match === null || flag === null || flag[1] === undefined) break;
    flags.set(flag[1], flag[2] ?? 'true');
    args = args.slice(match[0].length);
  }
  return { flags, args };
}

function substitute(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    return vars.get(name) ?? whole;
  });
}

export function parseDockerfile(text: string): Dockerfile {
  const logical: { text: string; line: number }[] = [];
  let current: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (/^\s*#/.test(line)) return; // comments (and parser directives), also inside continuations
    if (current === undefined) {
      if (line.trim() === '') return;
      current = { text: '', line: i + 1 };
    }
    if (line.endsWith('\\')) {
      current.text += `${line.slice(0, -1)} `;
      return;
    }
    current.text += line;
    logical.push(current);
    current = undefined;
  });
  if (current !== undefined) logical.push(current);

  const globalArgs = new Map<string, string>();
  const stages: { index: number; name: string | undefined; from: string; instructions: Instruction[] }[] = [];
  for (const { text: content, line } of logical) {
    const match = /^\s*(\S+)\s*(.*)$/.exec(content);
    if (match === null) continue;
    const keyword = (match[1] ?? '').toUpperCase();
    const { flags, args } = splitFlags(match[2] ?? '');
    const instruction: Instruction = { keyword, flags, args, line };
    if (keyword === 'FROM') {
      const [image = '', as, name] = args.split(/\s+/);
      if (image === '') throw new Error(`line ${line}: FROM without an image`);
      stages.push({
        index: stages.length,
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        from: substitute(image, globalArgs),
        instructions: [],
      });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) {
      if (keyword !== 'ARG') throw new Error(`line ${line}: ${keyword} before the first FROM`);
      const [name = '', value = ''] = args.split('=', 2);
      globalArgs.set(name.trim(), value.trim());
      continue;
    }
    stage.instructions.push(instruction);
  }
  return { stages };
}

/** Arguments of an instruction: exec (JSON array) form or whitespace-separated shell form. */
export function instructionArgs(instruction: Instruction): string[] {
  const args = instruction.args.trim();
  if (args.startsWith('[')) {
    const parsed: unknown = JSON.parse(args);
    if (!Array.isArray(parsed) || !parsed.every((a): a is string => typeof a === 'string')) {
      throw new Error(`line ${instruction.line}: ${instruction.keyword} exec form must be an array of strings`);
    }
    return parsed;
  }
  return args.split(/\s+/).filter((a) => a !== '');
}

/** ENV key=value pairs of one instruction (also the legacy `ENV key value` form). */
export function envPairs(instruction: Instruction): [string, string][] {
  const args = instruction.args.trim();
  if (!args.includes('=')) {
    const [key = '', ...value] = args.split(/\s+/);
    return [[key, value.join(' ')]];
  }
  return [...args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g)].map((m) => {
    const value = m[2] ?? '';
    return [m[1] ?? '', value.startsWith('"') ? (JSON.parse(value) as string) : value];
  });
}

export function stageByName(dockerfile: Dockerfile, name: string): Stage {
  const stage = dockerfile.stages.find((s) => s.name === name || String(s.index) === name);
  if (stage === undefined) throw new Error(`no stage ${name} in the Dockerfile`);
  return stage;
}

function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] ?? '';
    if (char === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        source += '(?:.*/)?';
      } else {
        source += '.*';
      }
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

export interface IgnoreRule {
  readonly negated: boolean;
  readonly pattern: string;
  readonly regexp: RegExp;
}

export function parseDockerignore(text: string): IgnoreRule[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const pattern = (negated ? line.slice(1) : line).trim().replace(/^\/+/, '').replace(/\/+$/, '');
      return { negated, pattern, regexp: globToRegExp(pattern) };
    });
}

/** True when `path` (relative to the build context, '/'-separated) is left out of the build context. */
export function isIgnored(rules: readonly IgnoreRule[], path: string): boolean {
  const parts = path.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const rule of rules) {
    if (candidates.some((candidate) => rule.regexp.test(candidate))) ignored = !rule.negated;
  }
  return ignored;
}
