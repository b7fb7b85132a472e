// Replays the Dockerfile's stages without Docker: each stage gets a directory standing for its root
// filesystem; COPY copies from the build context (filtered by .dockerignore) or from an earlier stage,
// WORKDIR and ENV are tracked, RUN runs with the host's sh, node and npm. The result is the image's /app
// as the runtime stage would leave it, plus what the image would run (CMD, ENV, USER).
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, posix } from 'node:path';
import {
  envPairs,
  instructionArgs,
  isIgnored,
  parseDockerfile,
  parseDockerignore,
  type Dockerfile,
  type IgnoreRule,
  type Stage,
} from './dockerfile';
import { runOk } from './exec';

export interface StageResult {
  /** Directory standing for the stage's root filesystem. */
  readonly root: string;
  /** Absolute path inside the image of the final WORKDIR. */
  readonly workdir: string;
  /** ENV as set by the stage, values as written (paths are image paths). */
  readonly env: ReadonlyMap<string, string>;
  readonly user: string | undefined;
  readonly cmd: readonly string[];
}

export function readDockerfile(context: string): { dockerfile: Dockerfile; ignore: IgnoreRule[] } {
  const dockerfile = parseDockerfile(readFileSync(join(context, 'Dockerfile'), 'utf8'));
  const ignorePath = join(context, '.dockerignore');
  const ignore = existsSync(ignorePath) ? parseDockerignore(readFileSync(ignorePath, 'utf8')) : [];
  return { dockerfile, ignore };
}

/** Maps an image path to its place under `root`. */
export function hostPath(root: string, imagePath: string): string {
  return join(root, imagePath);
}

function copyFromContext(context: string, ignore: readonly IgnoreRule[], source: string, target: string): number {
  const relative = posix.normalize(source).replace(/^\.\/?/, '').replace(/\/$/, '');
  const from = join(context, relative);
  if (!existsSync(from)) throw new Error(`COPY ${source}: not in the build context`);
  let copied = 0;
  const walk = (rel: string, to: string): void => {
    const abs = join(context, rel);
    const stat = lstatSync(abs);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(abs)) walk(posix.join(rel, entry), join(to, entry));
      return;
    }
    if (isIgnored(ignore, rel)) return;
    mkdirSync(join(to, '..'), { recursive: true });
    cpSync(abs, to, { dereference: false });
    copied++;
  };
  walk(relative, target);
  if (copied === 0) throw new Error(`COPY ${source}: everything is excluded by .dockerignore`);
  return copied;
}

/**
 * Runs the stage `name` (and the stages it copies from) under `workRoot`. RUN commands see the host
 * environment overlaid with the stage's ENV; --mount flags (build caches) are ignored.
 * Stages run in dependency order as COPY --from needs them.
 */
export interface BuildOptions {
  /** Directories put first on PATH for RUN (e.g. the image's npm). */
  readonly pathPrefix?: readonly string[];
  readonly log?: (line: string) => void;
}

export async function buildStage(context: string, name: string, workRoot: string, options: BuildOptions = {}): Promise<StageResult> {
  const log = options.log ?? (() => undefined);
  const path = [...(options.pathPrefix ?? []), process.env.PATH ?? ''].join(delimiter);
  const { dockerfile, ignore } = readDockerfile(context);
  const results = new Map<string, StageResult>();

  const build = async (stage: Stage): Promise<StageResult> => {
    const key = stage.name ?? String(stage.index);
    const done = results.get(key);
    if (done !== undefined) return done;
    const root = join(workRoot, key);
    mkdirSync(root, { recursive: true });
    let workdir = '/';
    let user: string | undefined;
    let cmd: readonly string[] = [];
    const env = new Map<string, string>();
    const resolve = (path: string): string => (isAbsolute(path) || path.startsWith('/') ? path : posix.join(workdir, path));

    for (const instruction of stage.instructions) {
      const args = instructionArgs(instruction);
      switch (instruction.keyword) {
        case 'WORKDIR':
          workdir = resolve(args[0] ?? '/');
          mkdirSync(hostPath(root, workdir), { recursive: true });
          break;
        case 'ENV':
          for (const [k, v] of envPairs(instruction)) env.set(k, v);
          break;
        case 'USER':
          user = args[0];
          break;
        case 'CMD':
          cmd = args;
          break;
        case 'COPY': {
          const destination = args.at(-1);
          const sources = args.slice(0, -1);
          if (destination === undefined || sources.length === 0) throw new Error(`line ${instruction.line}: COPY needs a source and a destination`);
          const destIsDir = destination.endsWith('/') || sources.length > 1;
          const to = hostPath(root, resolve(destination));
          const fromStage = instruction.flags.get('from');
          for (const source of sources) {
            const target = destIsDir ? join(to, posix.basename(source)) : to;
            if (fromStage === undefined) {
              const n = copyFromContext(context, ignore, source, target);
              log(`COPY ${source} (${n} files)`);
            } else {
              const other = dockerfile.stages.find((s) => s.name === fromStage || String(s.index) === fromStage);
              if (other === undefined) throw new Error(`line ${instruction.line}: COPY --from=${fromStage}: no such stage`);
              const otherResult = await build(other);
              const from = hostPath(otherResult.root, source);
              if (!existsSync(from)) throw new Error(`line ${instruction.line}: COPY --from=${fromStage} ${source}: not found`);
              mkdirSync(join(target, '..'), { recursive: true });
              cpSync(from, target, { recursive: statSync(from).isDirectory() });
              log(`COPY --from=${fromStage} ${source}`);
            }
          }
          break;
        }
        case 'RUN': {
          const shell = instruction.args.trim().startsWith('[') ? args : ['sh', '-c', instruction.args];
          const [file = 'sh', ...rest] = shell;
          log(`RUN ${instruction.args}`);
          await runOk(file, rest, {
            cwd: hostPath(root, workdir),
            env: { ...process.env, PATH: path, ...Object.fromEntries(env) },
            timeoutMs: 600_000,
          });
          break;
        }
        default:
          // ARG, EXPOSE, STOPSIGNAL, LABEL, HEALTHCHECK: nothing to replay.
          break;
      }
    }
    const result: StageResult = { root, workdir, env, user, cmd };
    results.set(key, result);
    return result;
  };

  const target = dockerfile.stages.find((s) => s.name === name);
  if (target === undefined) throw new Error(`no stage ${name} in the Dockerfile`);
  return build(target);
}
