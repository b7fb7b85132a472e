/**
 * The core lifecycle as a user sees it. Shared by the Redis Cluster suite and the plain Redis suite, so both
 * deployments are held to the same spec.
 */
import type { TestServer } from '../support/baton.js';
import { outcomeScenarios } from './outcomes.js';
import { submittingScenarios } from './submitting.js';

export function lifecycleScenarios(server: () => TestServer): void {
  submittingScenarios(server);
  outcomeScenarios(server);
}
