import type { Command } from '../command.js';
import { active } from './active.js';
import { cancel } from './cancel.js';
import { claim } from './claim.js';
import { complete } from './complete.js';
import { completed } from './completed.js';
import { get } from './get.js';
import { list } from './list.js';
import { logs } from './logs.js';
import { pause } from './pause.js';
import { purge } from './purge.js';
import { queueDelete } from './queueDelete.js';
import { queueSet } from './queueSet.js';
import { resume } from './resume.js';
import { retry } from './retry.js';
import { retryFailed } from './retryFailed.js';
import { run } from './run.js';
import { scheduleCreate, scheduleUpdate } from './scheduleCreate.js';
import { scheduleDelete, schedulePause, scheduleResume, scheduleTrigger } from './scheduleControl.js';
import { scheduleGet } from './scheduleGet.js';
import { scheduleList } from './scheduleList.js';
import { stats } from './stats.js';
import { submit } from './submit.js';
import { tokenHash } from './tokenHash.js';
import { tree } from './tree.js';
import { wait } from './wait.js';
import { watch } from './watch.js';
import { workers } from './workers.js';

/** Every command, in the order `baton --help` lists them. */
export const COMMANDS: readonly Command[] = [
  submit,
  get,
  list,
  tree,
  watch,
  wait,
  logs,
  run,
  claim,
  complete,
  cancel,
  retry,
  stats,
  workers,
  active,
  completed,
  pause,
  resume,
  purge,
  retryFailed,
  queueSet,
  scheduleCreate,
  scheduleUpdate,
  scheduleList,
  scheduleGet,
  schedulePause,
  scheduleResume,
  scheduleTrigger,
  scheduleDelete,
  queueDelete,
  tokenHash,
];
