/**
 * `millrace/testing` — doubles for tests of code built on Millrace: a clock that moves only when
 * told to, and a file system that injects crashes, power loss, torn writes and I/O errors.
 */
export { ManualClock } from '../log/clock.js'
export { FaultFileIO } from '../log/storage/fault-file-io.js'
