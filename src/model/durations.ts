// The longest duration rxmgmt accepts anywhere (timer interval, poll, delay, limit, -t, ...):
// waits of any length up to it are honoured (chained on the scheduler), longer ones are refused
// at load with an error naming the value, so that no typo becomes "never" or "at once".

/** Ten years (of 365.25 days), in seconds. */
export const MAX_DURATION_SECONDS = 10 * 365.25 * 24 * 3600;

/** `n seconds` in words for an error: "315576000 s (10 years)". */
export const maxDurationText = `${MAX_DURATION_SECONDS} s (10 years)`;
