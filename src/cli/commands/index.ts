import type { Command } from '../command.js';
import { cancel } from './cancel.js';
import { claim } from './claim.js';
import { complete } from './complete.js';
import { get } from './get.js';
import { list } from './list.js';
import { retry } from './retry.js';
import { submit } from './submit.js';

/**
 * Every command, in the order `baton --help` lists them. Commands for RPCs the server does not have yet (watch,
 * stats, workers, active, completed, pause, resume, purge) are added here when their RPCs land.
 */
export const COMMANDS: readonly Command[] = [submit, get, list, claim, complete, cancel, retry];
