/*
 * The caller's mistakes: a bad argument or option, a call at the wrong time. Found before anything
 * runs, and thrown as Node's own APIs throw them (the built-in TypeError, RangeError or Error, with
 * Node's stable `code`), so that a caller can tell them apart without matching the message.
 */

/** A TypeError with `code: 'ERR_INVALID_ARG_VALUE'`: an argument or option of the wrong type or value. */
export function invalidArgument(message: string): TypeError {
  return Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_VALUE' as const });
}

/** A RangeError with `code: 'ERR_OUT_OF_RANGE'`: a number outside what the option takes. */
export function outOfRange(message: string): RangeError {
  return Object.assign(new RangeError(message), { code: 'ERR_OUT_OF_RANGE' as const });
}

/** An Error with `code: 'ERR_INVALID_STATE'`: a call the object cannot take now (a closed nursery, a second `started()`). */
export function invalidState(message: string): Error {
  return Object.assign(new Error(message), { code: 'ERR_INVALID_STATE' as const });
}
