// The generated contract (npm run gen) lives with the TypeScript SDK, which ships it; the server reads the same
// code, so both ends of every call are encoded by one generator from one proto/.
export * from '../../../clients/typescript/src/contract.js';
