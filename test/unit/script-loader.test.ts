import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { assembleScript, ScriptLoadError } from '../../src/store/scriptLoader.js';
import { readScript } from '../../src/store/scripts.js';

/** A Lua root in a temp dir, with the given files (name without .lua -> source). */
function luaRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'baton-lua-loader-'));
  roots.push(root);
  for (const [name, source] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, `${name}.lua`), source);
  }
  return root;
}
const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** The code lines of an assembled script, without blanks and comments. */
function codeLines(lua: string): string[] {
  return lua.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('--'));
}

describe('assembleScript', () => {
  it('inlines nested includes, each before the file that needs it', () => {
    const root = luaRoot({
      'includes/a': 'local a = 1\n',
      'includes/b': '--- @include "includes/a"\nlocal b = a + 1\n',
      'commands/main': '-- header\n--- @include "includes/b"\n\nreturn b\n',
    });
    assert.deepEqual(codeLines(assembleScript(root, 'commands/main')), ['local a = 1', 'local b = a + 1', 'return b']);
  });

  it('emits an include once when several paths reach it', () => {
    const root = luaRoot({
      'includes/keys': 'local K = {}\n',
      'includes/load': '--- @include "includes/keys"\nlocal load = K\n',
      'includes/save': '--- @include "includes/keys"\n--- @include "includes/load"\nlocal save = load\n',
      'commands/main': '--- @include "includes/load"\n--- @include "includes/save"\n--- @include "includes/keys"\nreturn save\n',
    });
    assert.deepEqual(codeLines(assembleScript(root, 'commands/main')), [
      'local K = {}',
      'local load = K',
      'local save = load',
      'return save',
    ]);
  });

  it('rejects a cycle, naming its path', () => {
    const root = luaRoot({
      'includes/a': '--- @include "includes/b"\n',
      'includes/b': '--- @include "includes/c"\n',
      'includes/c': '--- @include "includes/a"\n',
      'commands/main': '--- @include "includes/a"\nreturn 1\n',
    });
    assert.throws(() => assembleScript(root, 'commands/main'), {
      name: 'ScriptLoadError',
      message: 'Lua include cycle: includes/a -> includes/b -> includes/c -> includes/a',
    });
  });

  it('rejects a file that includes itself', () => {
    const root = luaRoot({ 'commands/main': '--- @include "commands/main"\nreturn 1\n' });
    assert.throws(() => assembleScript(root, 'commands/main'), /include cycle: commands\/main -> commands\/main/);
  });

  it('rejects a missing include, naming the file that wants it', () => {
    const root = luaRoot({
      'includes/a': '--- @include "includes/gone"\n',
      'commands/main': '--- @include "includes/a"\nreturn 1\n',
    });
    assert.throws(() => assembleScript(root, 'commands/main'), (error: unknown) => {
      assert.ok(error instanceof ScriptLoadError);
      assert.match(error.message, /includes\/gone not found at .*includes\/gone\.lua \(included from includes\/a\.lua\)/);
      return true;
    });
  });

  it('rejects an include declared twice in one file', () => {
    const root = luaRoot({
      'includes/a': 'local a = 1\n',
      'commands/main': '--- @include "includes/a"\n--- @include "includes/a"\nreturn a\n',
    });
    assert.throws(() => assembleScript(root, 'commands/main'), /commands\/main\.lua includes includes\/a twice/);
  });

  it('rejects an include line it does not understand rather than leaving it in the script', () => {
    const root = luaRoot({ 'includes/a': 'local a = 1\n', 'commands/main': '--@include a\nreturn a\n' });
    assert.throws(() => assembleScript(root, 'commands/main'), /malformed include line '--@include a'/);
  });
});

describe('the command scripts', () => {
  const luaDir = join(__dirname, '../../src/store/lua');
  const commands = readdirSync(join(luaDir, 'commands')).map((file) => file.replace(/\.lua$/, ''));

  /** Top-level `local` names declared on a line of Lua with comments and strings removed. */
  function declared(line: string): string[] {
    const fn = /^local function (\w+)/.exec(line);
    if (fn?.[1]) return [fn[1]];
    const names = /^local ([\w, ]+?)\s*=/.exec(line);
    return names?.[1] ? names[1].split(',').map((name) => name.trim()) : [];
  }
  function code(lua: string): string[] {
    return lua
      .replace(/--[^\n]*/g, '')
      .replace(/'(?:[^'\\\n]|\\.)*'/g, "''")
      .split('\n');
  }
  const provided = new Set(
    readdirSync(join(luaDir, 'includes')).flatMap((file) =>
      code(readFileSync(join(luaDir, 'includes', file), 'utf8')).flatMap(declared),
    ),
  );

  // Redis runs a script as one function: a helper used but not included is a nil global, an error only when the
  // line runs. So every name an include provides must be declared, once, before the script's first use of it.
  for (const name of commands) {
    it(`${name} includes every helper it uses, each once, before its first use`, () => {
      const seen = new Set<string>();
      code(readScript(name)).forEach((line, at) => {
        const own = declared(line);
        for (const match of line.matchAll(/(?<![.:\w])([A-Za-z_]\w*)/g)) {
          const used = match[1] ?? '';
          if (provided.has(used) && !seen.has(used) && !own.includes(used)) {
            assert.fail(`${name}: line ${at + 1} uses ${used}, which no include before it declares`);
          }
        }
        for (const local of own) {
          assert.ok(!(provided.has(local) && seen.has(local)), `${name}: ${local} is declared twice`);
          seen.add(local);
        }
      });
    });
  }

  // A script that reaches Redis after Baton answered its caller UNAVAILABLE (a frozen master resumed) must change
  // nothing: every script that can write takes its deadline and checks it before anything else.
  const WRITE_COMMAND = /'(SET|HSET|HSETNX|HDEL|HINCRBY|ZADD|ZREM|ZINCRBY|ZREMRANGEBYSCORE|ZREMRANGEBYRANK|SADD|SREM|DEL|UNLINK|XADD|XTRIM|XDEL|PUBLISH|EXPIRE|PEXPIRE|LPUSH|RPUSH|LTRIM)'/;
  for (const name of commands) {
    it(`${name}: if it can change state, it refuses to run past its deadline, first thing`, () => {
      const assembled = readScript(name);
      if (!WRITE_COMMAND.test(assembled)) return;
      const source = readFileSync(join(luaDir, 'commands', `${name}.lua`), 'utf8');
      assert.match(source, /^-- ARGV\[last\] deadline/m, `${name}.lua documents its last argument`);
      const [first] = code(source.replace(/^---.*$/gm, '')).map((line) => line.trim()).filter(Boolean);
      assert.equal(first, 'refuseIfLate()', `${name}.lua checks its deadline before anything else`);
    });
  }
});
