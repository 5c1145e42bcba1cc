// The public RxJS operators rxmgmt's engine is composed of: `import { converged } from 'rxmgmt/operators'`.
export { coalesce } from './coalesce.js';
export { converged } from './converged.js';
export { gate } from './gate.js';
export { rateLimit } from './rate-limit.js';
export { semaphore } from './semaphore.js';
export { convergedState } from './converged-state.js';
export { allTrue } from './all-true.js';
export { longTimer, MAX_TIMER_MS } from './long-timer.js';
export { coalesceWhen } from './coalesce-when.js';
export { longDelays } from './long-delays.js';
