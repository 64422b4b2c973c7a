import { NodeFileIO } from '../../src/log/storage/node-file-io.js'
import type { FileHandle, OpenOptions } from '../../src/log/storage/file-io.js'

/** The real file system, counting asynchronous fsyncs of segment `.log` files (group commits). */
export class SyncCountingIO extends NodeFileIO {
  logSyncs = 0

  override open(path: string, options?: OpenOptions): FileHandle {
    const handle = super.open(path, options)
    if (!path.endsWith('.log')) return handle
    const sync = handle.sync.bind(handle)
    handle.sync = () => {
      this.logSyncs++
      return sync()
    }
    return handle
  }
}
