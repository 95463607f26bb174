/*
 * faultvfs.c: the fault-injecting SQLite VFS of faultvfs.h. Each file we
 * open is our small header followed by the real VFS's file object; every
 * method passes through to the real one, and the write-class ones first
 * ask fv_fault() whether this is the operation to fail. A failed operation
 * never reaches the file, as when the kernel refuses a write: what SQLite
 * does next is exactly what it would do on a full or failing disk.
 */
#include "faultvfs.h"

#include <sqlite3.h>
#include <string.h>

typedef struct fv_file {
    sqlite3_file base; /* base.pMethods = &fv_io, or NULL when not open */
    sqlite3_file *real; /* the real VFS's file, just after this header */
    int flags;          /* the SQLITE_OPEN_* flags it was opened with */
} fv_file;

/* The header rounded up so that the real file object is aligned. */
#define FV_HEAD ((sizeof(fv_file) + 15) & ~(size_t)15)

static struct {
    sqlite3_vfs vfs;
    sqlite3_vfs *real;
    int registered;
    uint64_t count, at, hits;
    faultvfs_kind kind;
    faultvfs_op first_op;
    int first_wal;
} fv;

/* 0 when the operation may go on, else the code it fails with. */
static int fv_fault(faultvfs_op op, int flags)
{
    fv.count++;
    if (fv.kind == FAULTVFS_OFF || fv.at == 0) return 0;
    int persist = fv.kind == FAULTVFS_FULL_PERSIST || fv.kind == FAULTVFS_IOERR_PERSIST;
    if (fv.count != fv.at && !(persist && fv.count > fv.at)) return 0;
    if (fv.hits++ == 0) {
        fv.first_op = op;
        fv.first_wal = (flags & SQLITE_OPEN_WAL) != 0;
    }
    if (fv.kind == FAULTVFS_FULL || fv.kind == FAULTVFS_FULL_PERSIST) return SQLITE_FULL;
    /* the extended codes the unix VFS itself returns for each call */
    switch (op) {
    case FAULTVFS_OP_OPEN: return SQLITE_CANTOPEN;
    case FAULTVFS_OP_SYNC: return SQLITE_IOERR_FSYNC;
    case FAULTVFS_OP_TRUNCATE: return SQLITE_IOERR_TRUNCATE;
    case FAULTVFS_OP_DELETE: return SQLITE_IOERR_DELETE;
    default: return SQLITE_IOERR_WRITE;
    }
}

static sqlite3_file *real_of(sqlite3_file *f)
{
    return ((fv_file *)f)->real;
}

static int fv_close(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    int rc = r->pMethods ? r->pMethods->xClose(r) : SQLITE_OK;
    f->pMethods = NULL;
    return rc;
}

static int fv_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xRead(r, p, n, off);
}

static int fv_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
    sqlite3_file *r = real_of(f);
    int rc = fv_fault(FAULTVFS_OP_WRITE, ((fv_file *)f)->flags);
    return rc ? rc : r->pMethods->xWrite(r, p, n, off);
}

static int fv_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    sqlite3_file *r = real_of(f);
    int rc = fv_fault(FAULTVFS_OP_TRUNCATE, ((fv_file *)f)->flags);
    return rc ? rc : r->pMethods->xTruncate(r, size);
}

static int fv_sync(sqlite3_file *f, int flags)
{
    sqlite3_file *r = real_of(f);
    int rc = fv_fault(FAULTVFS_OP_SYNC, ((fv_file *)f)->flags);
    return rc ? rc : r->pMethods->xSync(r, flags);
}

static int fv_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xFileSize(r, size);
}

static int fv_lock(sqlite3_file *f, int level)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xLock(r, level);
}

static int fv_unlock(sqlite3_file *f, int level)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xUnlock(r, level);
}

static int fv_check_lock(sqlite3_file *f, int *out)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xCheckReservedLock(r, out);
}

static int fv_file_control(sqlite3_file *f, int op, void *arg)
{
    sqlite3_file *r = real_of(f);
    /* SQLITE_FCNTL_VFSNAME would name the real VFS only; ours is a shim
       and the pass-through answer is good enough for tests. */
    return r->pMethods->xFileControl(r, op, arg);
}

static int fv_sector_size(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xSectorSize(r);
}

static int fv_device_chars(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xDeviceCharacteristics(r);
}

/* The shared-memory index is mapped memory, not writes through the VFS:
   it is rebuilt from the WAL after a crash, so it is not failed. */
static int fv_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **pp)
{
    sqlite3_file *r = real_of(f);
    if (r->pMethods->iVersion < 2) return SQLITE_IOERR_SHMMAP;
    return r->pMethods->xShmMap(r, pg, sz, extend, pp);
}

static int fv_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
    sqlite3_file *r = real_of(f);
    if (r->pMethods->iVersion < 2) return SQLITE_IOERR_SHMLOCK;
    return r->pMethods->xShmLock(r, off, n, flags);
}

static void fv_shm_barrier(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    if (r->pMethods->iVersion >= 2) r->pMethods->xShmBarrier(r);
}

static int fv_shm_unmap(sqlite3_file *f, int del)
{
    sqlite3_file *r = real_of(f);
    if (r->pMethods->iVersion < 2) return SQLITE_OK;
    return r->pMethods->xShmUnmap(r, del);
}

static int fv_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
    sqlite3_file *r = real_of(f);
    if (r->pMethods->iVersion < 3) {
        *pp = NULL;
        return SQLITE_OK;
    }
    return r->pMethods->xFetch(r, off, n, pp);
}

static int fv_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    sqlite3_file *r = real_of(f);
    if (r->pMethods->iVersion < 3) return SQLITE_OK;
    return r->pMethods->xUnfetch(r, off, p);
}

static const sqlite3_io_methods fv_io = {
    3,
    fv_close,
    fv_read,
    fv_write,
    fv_truncate,
    fv_sync,
    fv_file_size,
    fv_lock,
    fv_unlock,
    fv_check_lock,
    fv_file_control,
    fv_sector_size,
    fv_device_chars,
    fv_shm_map,
    fv_shm_lock,
    fv_shm_barrier,
    fv_shm_unmap,
    fv_fetch,
    fv_unfetch,
};

static int fv_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *oflags)
{
    fv_file *p = (fv_file *)f;
    p->base.pMethods = NULL;
    p->real = (sqlite3_file *)((char *)f + FV_HEAD);
    p->flags = flags;
    if (flags & SQLITE_OPEN_READWRITE) {
        int rc = fv_fault(FAULTVFS_OP_OPEN, flags);
        if (rc) return rc;
    }
    int rc = fv.real->xOpen(fv.real, name, p->real, flags, oflags);
    /* SQLite calls xClose after a failed open only when pMethods is set:
       ours is set exactly when the real file needs closing */
    if (p->real->pMethods) p->base.pMethods = &fv_io;
    return rc;
}

static int fv_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    int rc = fv_fault(FAULTVFS_OP_DELETE, 0);
    return rc ? rc : fv.real->xDelete(fv.real, name, sync_dir);
}

static int fv_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    return fv.real->xAccess(fv.real, name, flags, out);
}

static int fv_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    return fv.real->xFullPathname(fv.real, name, n, out);
}

static void *fv_dlopen(sqlite3_vfs *vfs, const char *name)
{
    return fv.real->xDlOpen(fv.real, name);
}

static void fv_dlerror(sqlite3_vfs *vfs, int n, char *msg)
{
    fv.real->xDlError(fv.real, n, msg);
}

static void (*fv_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
    return fv.real->xDlSym(fv.real, h, sym);
}

static void fv_dlclose(sqlite3_vfs *vfs, void *h)
{
    fv.real->xDlClose(fv.real, h);
}

static int fv_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    return fv.real->xRandomness(fv.real, n, out);
}

static int fv_sleep(sqlite3_vfs *vfs, int us)
{
    return fv.real->xSleep(fv.real, us);
}

static int fv_current_time(sqlite3_vfs *vfs, double *t)
{
    return fv.real->xCurrentTime(fv.real, t);
}

static int fv_last_error(sqlite3_vfs *vfs, int n, char *msg)
{
    return fv.real->xGetLastError ? fv.real->xGetLastError(fv.real, n, msg) : 0;
}

static int fv_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *t)
{
    return fv.real->xCurrentTimeInt64(fv.real, t);
}

int faultvfs_register(void)
{
    if (fv.registered) return SQLITE_OK;
    int rc = sqlite3_initialize();
    if (rc != SQLITE_OK) return rc;
    fv.real = sqlite3_vfs_find(NULL);
    if (!fv.real) return SQLITE_ERROR;
    sqlite3_vfs *v = &fv.vfs;
    memset(v, 0, sizeof *v);
    /* version 2 (xCurrentTimeInt64); the system-call hooks of version 3
       are the real VFS's business and are left out */
    v->iVersion = 2;
    v->szOsFile = (int)(FV_HEAD + (size_t)fv.real->szOsFile);
    v->mxPathname = fv.real->mxPathname;
    v->zName = FAULTVFS_NAME;
    v->xOpen = fv_open;
    v->xDelete = fv_delete;
    v->xAccess = fv_access;
    v->xFullPathname = fv_full_pathname;
    v->xDlOpen = fv_dlopen;
    v->xDlError = fv_dlerror;
    v->xDlSym = fv_dlsym;
    v->xDlClose = fv_dlclose;
    v->xRandomness = fv_randomness;
    v->xSleep = fv_sleep;
    v->xCurrentTime = fv_current_time;
    v->xGetLastError = fv_last_error;
    v->xCurrentTimeInt64 = fv_current_time64;
    rc = sqlite3_vfs_register(v, 0);
    if (rc == SQLITE_OK) fv.registered = 1;
    return rc;
}

void faultvfs_arm(uint64_t n, faultvfs_kind kind)
{
    fv.count = 0;
    fv.hits = 0;
    fv.at = n;
    fv.kind = n ? kind : FAULTVFS_OFF;
    fv.first_op = FAULTVFS_OP_NONE;
    fv.first_wal = 0;
}

uint64_t faultvfs_count(void)
{
    return fv.count;
}

uint64_t faultvfs_hits(void)
{
    return fv.hits;
}

faultvfs_op faultvfs_first_op(int *was_wal)
{
    if (was_wal) *was_wal = fv.first_wal;
    return fv.first_op;
}

const char *faultvfs_kind_name(faultvfs_kind kind)
{
    switch (kind) {
    case FAULTVFS_FULL: return "disk full";
    case FAULTVFS_FULL_PERSIST: return "disk full from then on";
    case FAULTVFS_IOERR: return "I/O error";
    case FAULTVFS_IOERR_PERSIST: return "I/O error from then on";
    default: return "no fault";
    }
}
