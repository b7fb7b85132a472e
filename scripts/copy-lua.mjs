// tsc does not copy non-TS files: put the Lua scripts next to the compiled store. The old copy goes first, so a
// script moved or deleted in src leaves nothing stale in dist (and in the packed tarball).
import { cpSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'dist/src/store/lua');
rmSync(target, { recursive: true, force: true });
cpSync(join(root, 'src/store/lua'), target, { recursive: true });
