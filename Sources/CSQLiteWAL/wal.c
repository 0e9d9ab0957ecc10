// The "paysandbox" VFS: the default VFS, with the writes to WAL files gathered.
//
// SQLite appends a transaction's frames to the WAL with two writes per page (the 24-byte
// frame header, then the page): about 7 pwrite calls per created payment, most of the
// system time of the one thread every commit waits on. Measured on this machine, 30 frames
// written that way took 89 us; the same bytes in one write, 23 us.
//
// So a WAL file keeps the writes that continue one another in a buffer, and hands them to
// the kernel in one write before anyone could need them:
//   - at a commit: connections run with synchronous=FULL and checkpoint_fullfsync=ON, so
//     SQLite syncs the WAL after a commit's frames and before it publishes them in the
//     shared-memory index; that sync arrives with SQLITE_SYNC_NORMAL, and here it only
//     writes the buffer out (no fsync: the durability of synchronous=NORMAL, which is what
//     the store wants). The syncs of checkpoints and of a restarted WAL's header arrive with
//     SQLITE_SYNC_FULL and are done. A failed write fails the COMMIT: nothing is published.
//   - before any other operation on the WAL file (read, truncate, size, close...);
//   - when its database file's shared-memory locks are taken or released (xShmLock), so
//     that nothing stays buffered once the connection lets go of the write lock (frames of a
//     transaction that rolled back, say): another process's writer may then restart the WAL.
// Every byte reaches the file in the order it was written; only the moment changes. A WAL
// file finds its database file's with sqlite3_database_file_object when it opens; each
// keeps the other's address until one of them closes.

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

// The unix VFS writes at most 128 KiB - 1 bytes per call (seekAndWriteFd masks the length
// with 0x1ffff; a length of exactly 128 KiB becomes 0 and reads as a full disk).
#define BUFFER_BYTES 0x1ffff

typedef struct GatherFile GatherFile;
struct GatherFile {
    sqlite3_file base;           // methods: ours
    sqlite3_file *real;          // the default VFS's file, allocated right after this struct
    int wal;                     // a WAL file: writes gathered
    GatherFile *partner;         // a WAL file's database file, a database file's WAL file
    unsigned char *buffer;
    int length;
    sqlite3_int64 start;         // file offset of buffer[0]
};

static sqlite3_vfs *underlying;
static sqlite3_vfs vfs;
static sqlite3_io_methods methods;

static int flush(GatherFile *f) {
    if (f->length == 0) return SQLITE_OK;
    int rc = f->real->pMethods->xWrite(f->real, f->buffer, f->length, f->start);
    f->length = 0;
    return rc;
}

/// A database file's WAL, written out (before its shared-memory locks change).
static int flushPending(sqlite3_file *file) {
    GatherFile *f = (GatherFile *)file;
    return !f->wal && f->partner ? flush(f->partner) : SQLITE_OK;
}

#define REAL(file) (((GatherFile *)(file))->real)
#define FLUSHED(file) do { int frc = flush((GatherFile *)(file)); if (frc != SQLITE_OK) return frc; } while (0)

static int gClose(sqlite3_file *file) {
    GatherFile *f = (GatherFile *)file;
    int rc = flush(f);
    if (f->partner) {
        f->partner->partner = NULL;
        f->partner = NULL;
    }
    int closed = f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
    free(f->buffer);
    f->buffer = NULL;
    return rc != SQLITE_OK ? rc : closed;
}

static int gRead(sqlite3_file *file, void *out, int amount, sqlite3_int64 offset) {
    FLUSHED(file);
    return REAL(file)->pMethods->xRead(REAL(file), out, amount, offset);
}

static int gWrite(sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset) {
    GatherFile *f = (GatherFile *)file;
    if (!f->wal) return f->real->pMethods->xWrite(f->real, data, amount, offset);
    if (f->length > 0 && (offset != f->start + f->length || f->length + amount > BUFFER_BYTES)) {
        int rc = flush(f);
        if (rc != SQLITE_OK) return rc;
    }
    if (amount > BUFFER_BYTES) return f->real->pMethods->xWrite(f->real, data, amount, offset);
    if (!f->buffer) {
        f->buffer = malloc(BUFFER_BYTES);
        if (!f->buffer) return f->real->pMethods->xWrite(f->real, data, amount, offset);
    }
    if (f->length == 0) f->start = offset;
    memcpy(f->buffer + f->length, data, (size_t)amount);
    f->length += amount;
    return SQLITE_OK;
}

static int gTruncate(sqlite3_file *file, sqlite3_int64 size) { FLUSHED(file); return REAL(file)->pMethods->xTruncate(REAL(file), size); }
static int gSync(sqlite3_file *file, int flags) {
    FLUSHED(file);
    // A commit's sync (see above): written out, not synced.
    if (((GatherFile *)file)->wal && (flags & 0x0F) == SQLITE_SYNC_NORMAL) return SQLITE_OK;
    return REAL(file)->pMethods->xSync(REAL(file), flags);
}
static int gFileSize(sqlite3_file *file, sqlite3_int64 *size) { FLUSHED(file); return REAL(file)->pMethods->xFileSize(REAL(file), size); }
static int gLock(sqlite3_file *file, int lock) { FLUSHED(file); return REAL(file)->pMethods->xLock(REAL(file), lock); }
static int gUnlock(sqlite3_file *file, int lock) { FLUSHED(file); return REAL(file)->pMethods->xUnlock(REAL(file), lock); }
static int gCheckReservedLock(sqlite3_file *file, int *out) { FLUSHED(file); return REAL(file)->pMethods->xCheckReservedLock(REAL(file), out); }
static int gFileControl(sqlite3_file *file, int op, void *arg) { FLUSHED(file); return REAL(file)->pMethods->xFileControl(REAL(file), op, arg); }
static int gSectorSize(sqlite3_file *file) { return REAL(file)->pMethods->xSectorSize(REAL(file)); }
static int gDeviceCharacteristics(sqlite3_file *file) { return REAL(file)->pMethods->xDeviceCharacteristics(REAL(file)); }

static int gShmMap(sqlite3_file *file, int region, int size, int extend, void volatile **out) {
    return REAL(file)->pMethods->xShmMap(REAL(file), region, size, extend, out);
}

static int gShmLock(sqlite3_file *file, int offset, int n, int flags) {
    int rc = flushPending(file);
    if (rc != SQLITE_OK) return rc;
    return REAL(file)->pMethods->xShmLock(REAL(file), offset, n, flags);
}

static void gShmBarrier(sqlite3_file *file) {
    REAL(file)->pMethods->xShmBarrier(REAL(file));
}

static int gShmUnmap(sqlite3_file *file, int deleteFlag) {
    int rc = flushPending(file);
    if (rc != SQLITE_OK) return rc;
    return REAL(file)->pMethods->xShmUnmap(REAL(file), deleteFlag);
}

static int gFetch(sqlite3_file *file, sqlite3_int64 offset, int amount, void **out) {
    FLUSHED(file);
    return REAL(file)->pMethods->xFetch(REAL(file), offset, amount, out);
}

static int gUnfetch(sqlite3_file *file, sqlite3_int64 offset, void *page) {
    return REAL(file)->pMethods->xUnfetch(REAL(file), offset, page);
}

static int gOpen(sqlite3_vfs *self, const char *name, sqlite3_file *file, int flags, int *outFlags) {
    GatherFile *f = (GatherFile *)file;
    memset(f, 0, sizeof(GatherFile));
    f->real = (sqlite3_file *)(f + 1);
    int rc = underlying->xOpen(underlying, name, f->real, flags, outFlags);
    if (rc != SQLITE_OK || f->real->pMethods == NULL) {
        f->base.pMethods = NULL;
        return rc;
    }
    if (f->real->pMethods->iVersion < 3) {
        // Not the unix VFS this was written against: use its file as is.
        f->real->pMethods->xClose(f->real);
        f->base.pMethods = NULL;
        return SQLITE_CANTOPEN;
    }
    f->wal = (flags & SQLITE_OPEN_WAL) != 0;
    if (f->wal && name) {
        // Opened by its database's connection, whose database file is ours too.
        sqlite3_file *db = sqlite3_database_file_object(name);
        if (db && db->pMethods == &methods) {
            f->partner = (GatherFile *)db;
            f->partner->partner = f;
        }
    }
    f->base.pMethods = &methods;
    return SQLITE_OK;
}

static int gDelete(sqlite3_vfs *self, const char *name, int syncDir) { return underlying->xDelete(underlying, name, syncDir); }
static int gAccess(sqlite3_vfs *self, const char *name, int flags, int *out) { return underlying->xAccess(underlying, name, flags, out); }
static int gFullPathname(sqlite3_vfs *self, const char *name, int n, char *out) { return underlying->xFullPathname(underlying, name, n, out); }
static void *gDlOpen(sqlite3_vfs *self, const char *name) { return underlying->xDlOpen(underlying, name); }
static void gDlError(sqlite3_vfs *self, int n, char *out) { underlying->xDlError(underlying, n, out); }
static void (*gDlSym(sqlite3_vfs *self, void *handle, const char *symbol))(void) { return underlying->xDlSym(underlying, handle, symbol); }
static void gDlClose(sqlite3_vfs *self, void *handle) { underlying->xDlClose(underlying, handle); }
static int gRandomness(sqlite3_vfs *self, int n, char *out) { return underlying->xRandomness(underlying, n, out); }
static int gSleep(sqlite3_vfs *self, int micros) { return underlying->xSleep(underlying, micros); }
static int gCurrentTime(sqlite3_vfs *self, double *out) { return underlying->xCurrentTime(underlying, out); }
static int gGetLastError(sqlite3_vfs *self, int n, char *out) { return underlying->xGetLastError(underlying, n, out); }
static int gCurrentTimeInt64(sqlite3_vfs *self, sqlite3_int64 *out) { return underlying->xCurrentTimeInt64(underlying, out); }

int paysandbox_wal_vfs_register(void) {
    if (underlying) return SQLITE_OK;
    sqlite3_vfs *base = sqlite3_vfs_find(NULL);
    if (!base || base->iVersion < 2) return SQLITE_ERROR;
    underlying = base;
    methods = (sqlite3_io_methods){
        3, gClose, gRead, gWrite, gTruncate, gSync, gFileSize, gLock, gUnlock, gCheckReservedLock,
        gFileControl, gSectorSize, gDeviceCharacteristics, gShmMap, gShmLock, gShmBarrier, gShmUnmap,
        gFetch, gUnfetch,
    };
    vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)sizeof(GatherFile) + base->szOsFile,
        .mxPathname = base->mxPathname,
        .zName = "paysandbox",
        .xOpen = gOpen, .xDelete = gDelete, .xAccess = gAccess, .xFullPathname = gFullPathname,
        .xDlOpen = gDlOpen, .xDlError = gDlError, .xDlSym = gDlSym, .xDlClose = gDlClose,
        .xRandomness = gRandomness, .xSleep = gSleep, .xCurrentTime = gCurrentTime,
        .xGetLastError = gGetLastError, .xCurrentTimeInt64 = gCurrentTimeInt64,
    };
    return sqlite3_vfs_register(&vfs, 1);
}
