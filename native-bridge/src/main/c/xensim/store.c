/*
 * XenStore: the tree, Xen's permission model, transactions and watches.
 *
 * Permissions: perms[0] names the owner and the access of every domain not
 * listed; perms[1..] give per-domain access. The owner and dom0 may do
 * anything. A new node copies its parent's permissions with the creating
 * domain as owner.
 *
 * XSA-322, as xenstored does it: an entry perms[1..] counts only if its
 * domain existed when the node was last written (domain_generation <= the
 * node's generation). One that does not is made void for good (PERM_IGNORE)
 * the next time the node changes, so rewriting a value does not revive it;
 * only setting the permissions again does. Implicit domains have
 * generation 0: for them every entry counts, as before.
 *
 * A transaction works on a private copy of the tree and logs its changes.
 * Every node it reads or writes is remembered with the generation it had;
 * at commit, if any of them changed in the real tree since, the commit
 * fails with EAGAIN, else the log is replayed on the real tree (and fires
 * watches).
 */
#define _GNU_SOURCE
#include "daemon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PERM_READ 1u
#define PERM_WRITE 2u
#define PERM_IGNORE 16u          /* internal (xenstored's XS_PERM_IGNORE): a void entry */
#define ABS_PATH_MAX 3072
#define REL_PATH_MAX 2048
#define MAX_TXNS_PER_CONN 64
#define MAX_WATCHES_PER_CONN 4096

struct perm {
    uint32_t id, perms;
};

struct node {
    char *name;
    struct node *parent;
    struct node **kids;
    int nkids, capkids;
    char *value;
    size_t vlen;
    struct perm *perms;
    int nperms;
    uint64_t gen;            /* changes whenever the node or its child list does */
};

static void renew(struct node *n);

enum op_kind { OP_WRITE, OP_MKDIR, OP_RM, OP_SET_PERMS };

struct logged_op {
    enum op_kind kind;
    char *path;
    char *value;             /* write: value; set_perms: the perms */
    size_t len;
};

struct touched {
    char *path;
    uint64_t gen;            /* 0: the node did not exist */
};

struct txn {
    uint32_t id;
    struct node *root;       /* private copy */
    struct logged_op *ops;
    int nops, capops;
    struct touched *touched;
    int ntouched, captouched;
    struct txn *next;
};

struct watch {
    struct conn *owner;      /* the XS connection; events go to its partner */
    char *path;              /* absolute, or "@..." */
    size_t strip;            /* prefix to drop for a relative registration */
    char *token;
    struct watch *next;
};

static struct node *root;
static struct watch *watches;
static uint64_t gen_counter;
static uint32_t live_watches, live_txns;
static char save_path[4096];

/* ---- nodes ---- */

static uint64_t next_gen(void)
{
    return ++gen_counter;
}

uint64_t store_new_generation(void)
{
    return next_gen();
}

static struct node *node_new(const char *name, struct node *parent)
{
    struct node *n = calloc(1, sizeof *n);
    if (!n)
        abort();
    n->name = strdup(name);
    n->parent = parent;
    n->gen = next_gen();
    if (parent) {
        if (parent->nkids == parent->capkids) {
            parent->capkids = parent->capkids ? parent->capkids * 2 : 4;
            parent->kids = realloc(parent->kids, parent->capkids * sizeof *parent->kids);
            if (!parent->kids)
                abort();
        }
        parent->kids[parent->nkids++] = n;
        renew(parent);
    }
    return n;
}

static void set_perms(struct node *n, const struct perm *p, int np)
{
    free(n->perms);
    n->perms = malloc(np * sizeof *p);
    if (!n->perms)
        abort();
    memcpy(n->perms, p, np * sizeof *p);
    n->nperms = np;
}

static void set_value(struct node *n, const char *v, size_t len)
{
    free(n->value);
    n->value = len ? malloc(len) : NULL;
    if (len)
        memcpy(n->value, v, len);
    n->vlen = len;
}

static void node_free(struct node *n)
{
    for (int i = 0; i < n->nkids; i++)
        node_free(n->kids[i]);
    free(n->kids);
    free(n->name);
    free(n->value);
    free(n->perms);
    free(n);
}

static void node_detach(struct node *n)
{
    struct node *p = n->parent;
    for (int i = 0; i < p->nkids; i++) {
        if (p->kids[i] == n) {
            p->kids[i] = p->kids[--p->nkids];
            break;
        }
    }
    renew(p);
}

static struct node *node_clone(const struct node *n, struct node *parent)
{
    struct node *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    c->name = strdup(n->name);
    c->parent = parent;
    c->gen = n->gen;
    set_value(c, n->value, n->vlen);
    set_perms(c, n->perms, n->nperms);
    c->capkids = c->nkids = n->nkids;
    c->kids = n->nkids ? malloc(n->nkids * sizeof *c->kids) : NULL;
    for (int i = 0; i < n->nkids; i++)
        c->kids[i] = node_clone(n->kids[i], c);
    return c;
}

static struct node *child(const struct node *n, const char *name, size_t len)
{
    for (int i = 0; i < n->nkids; i++)
        if (strlen(n->kids[i]->name) == len && memcmp(n->kids[i]->name, name, len) == 0)
            return n->kids[i];
    return NULL;
}

/* The node at an absolute path, or NULL; *deepest gets the last one found. */
static struct node *walk(struct node *r, const char *path, struct node **deepest)
{
    struct node *n = r;
    const char *p = path + 1;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        struct node *k = child(n, p, len);
        if (!k) {
            if (deepest)
                *deepest = n;
            return NULL;
        }
        n = k;
        p += len + (slash ? 1 : 0);
    }
    if (deepest)
        *deepest = n;
    return n;
}

/* Creates the node and any missing ancestors, owned by `creator`. */
static struct node *create(struct node *r, const char *path, uint32_t creator)
{
    struct node *n = r;
    const char *p = path + 1;
    char name[ABS_PATH_MAX + 1];
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        struct node *k = child(n, p, len);
        if (!k) {
            memcpy(name, p, len);
            name[len] = '\0';
            k = node_new(name, n);
            set_perms(k, n->perms, n->nperms);
            k->perms[0].id = creator;
        }
        n = k;
        p += len + (slash ? 1 : 0);
    }
    return n;
}

/* XSA-322: whether entry i (>= 1) of n counts. */
static bool entry_counts(const struct node *n, int i)
{
    return !(n->perms[i].perms & PERM_IGNORE) && domain_generation(n->perms[i].id) <= n->gen;
}

/* Makes the entries that do not count void, before n gets a new generation. */
static void make_void(struct node *n)
{
    for (int i = 1; i < n->nperms; i++)
        if (!entry_counts(n, i))
            n->perms[i].perms |= PERM_IGNORE;
}

/* Every change to a node gives it a new generation. */
static void renew(struct node *n)
{
    make_void(n);
    n->gen = next_gen();
}

static uint32_t access_of(const struct node *n, uint32_t dom)
{
    if (dom == 0 || n->perms[0].id == dom)
        return PERM_READ | PERM_WRITE;
    for (int i = 1; i < n->nperms; i++)
        if (n->perms[i].id == dom && entry_counts(n, i))
            return n->perms[i].perms & (PERM_READ | PERM_WRITE);
    return n->perms[0].perms & (PERM_READ | PERM_WRITE);
}

static bool may(const struct node *n, uint32_t dom, uint32_t want)
{
    return (access_of(n, dom) & want) == want;
}

/* ---- paths ---- */

static bool valid_chars(const char *s)
{
    for (; *s; s++) {
        char ch = *s;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '/' || ch == '_' || ch == '@'))
            return false;
    }
    return true;
}

/*
 * Makes `path` absolute for domain `dom` into out (ABS_PATH_MAX + 1 bytes);
 * *strip gets the prefix length added. -EINVAL if the path is not valid.
 */
static int canonical(const char *path, size_t maxlen, uint32_t dom, char *out, size_t *strip)
{
    size_t len = strnlen(path, maxlen);
    if (len == 0 || len == maxlen || !valid_chars(path) || strstr(path, "//"))
        return -EINVAL;
    if (path[0] == '/') {
        if (len > ABS_PATH_MAX || (len > 1 && path[len - 1] == '/'))
            return -EINVAL;
        memcpy(out, path, len + 1);
        if (strip)
            *strip = 0;
        return 0;
    }
    if (len > REL_PATH_MAX || path[len - 1] == '/')
        return -EINVAL;
    int n = snprintf(out, ABS_PATH_MAX + 1, "/local/domain/%u/%s", dom, path);
    if (n < 0 || n > ABS_PATH_MAX)
        return -EINVAL;
    if (strip)
        *strip = (size_t)n - len;
    return 0;
}

static bool at_or_below(const char *path, const char *top)
{
    size_t n = strlen(top);
    if (strncmp(path, top, n) != 0)
        return false;
    return path[n] == '\0' || path[n] == '/' || (n == 1 && top[0] == '/');
}

/* ---- watches ---- */

static void send_event(struct watch *w, const char *path)
{
    struct conn *to = w->owner->partner;
    if (!to)
        return;
    const char *shown = path[0] == '/' && strlen(path) >= w->strip ? path + w->strip : path;
    size_t plen = strlen(shown) + 1, tlen = strlen(w->token) + 1;
    char buf[ABS_PATH_MAX + 2 + 4096];
    if (plen + tlen > sizeof buf)
        return;
    memcpy(buf, shown, plen);
    memcpy(buf + plen, w->token, tlen);
    push(to, XSIM_XS_EVENT, 0, buf, plen + tlen);
}

/* Fires watches at or above `path` whose domain may read the node. */
static void fire(const char *path, const struct node *n)
{
    for (struct watch *w = watches; w; w = w->next)
        if (w->path[0] == '/' && at_or_below(path, w->path) && (!n || may(n, w->owner->domid, PERM_READ)))
            send_event(w, path);
}

/* Removal of n (at path) also fires watches set exactly on its descendants. */
static void fire_removed_descendants(const char *path, const struct node *n)
{
    char sub[ABS_PATH_MAX + 1];
    for (int i = 0; i < n->nkids; i++) {
        const struct node *k = n->kids[i];
        int len = snprintf(sub, sizeof sub, "%s/%s", strcmp(path, "/") ? path : "", k->name);
        if (len < 0 || (size_t)len >= sizeof sub)
            continue;
        for (struct watch *w = watches; w; w = w->next)
            if (strcmp(w->path, sub) == 0 && may(k, w->owner->domid, PERM_READ))
                send_event(w, sub);
        fire_removed_descendants(sub, k);
    }
}

static void fire_special(const char *name)
{
    for (struct watch *w = watches; w; w = w->next)
        if (strcmp(w->path, name) == 0)
            send_event(w, name);
}

static int add_watch(struct conn *c, const char *path, const char *token)
{
    char abs[ABS_PATH_MAX + 1];
    size_t strip = 0;
    if (path[0] == '@') {
        if (strcmp(path, "@introduceDomain") && strcmp(path, "@releaseDomain"))
            return -EINVAL;
        snprintf(abs, sizeof abs, "%s", path);
    } else if (canonical(path, ABS_PATH_MAX + 1, c->domid, abs, &strip) < 0) {
        return -EINVAL;
    }
    int count = 0;
    for (struct watch *w = watches; w; w = w->next) {
        if (w->owner != c)
            continue;
        if (++count >= MAX_WATCHES_PER_CONN)
            return -E2BIG;
        if (strcmp(w->path, abs) == 0 && strcmp(w->token, token) == 0)
            return -EEXIST;
    }
    struct watch *w = calloc(1, sizeof *w);
    if (!w)
        return -ENOMEM;
    w->owner = c;
    w->path = strdup(abs);
    w->strip = strip;
    w->token = strdup(token);
    w->next = watches;
    watches = w;
    live_watches++;
    /* Xen fires every new watch once, so the watcher can read the state. */
    send_event(w, abs);
    return 0;
}

static void free_watch(struct watch *w)
{
    free(w->path);
    free(w->token);
    free(w);
    live_watches--;
}

static int remove_watch(struct conn *c, const char *path, const char *token)
{
    char abs[ABS_PATH_MAX + 1];
    if (path[0] == '@')
        snprintf(abs, sizeof abs, "%s", path);
    else if (canonical(path, ABS_PATH_MAX + 1, c->domid, abs, NULL) < 0)
        return -EINVAL;
    for (struct watch **pp = &watches; *pp; pp = &(*pp)->next) {
        struct watch *w = *pp;
        if (w->owner == c && strcmp(w->path, abs) == 0 && strcmp(w->token, token) == 0) {
            *pp = w->next;
            free_watch(w);
            return 0;
        }
    }
    return -ENOENT;
}

/* ---- operations on a tree (the real one or a transaction's copy) ---- */

struct ctx {
    struct node *root;
    uint32_t dom;
    bool check;              /* false when replaying a committed transaction */
    bool fire;               /* only the real tree fires watches */
    struct txn *txn;         /* record touched nodes */
};

static void touch(struct ctx *x, const char *path)
{
    struct txn *t = x->txn;
    if (!t)
        return;
    for (int i = 0; i < t->ntouched; i++)
        if (strcmp(t->touched[i].path, path) == 0)
            return;
    if (t->ntouched == t->captouched) {
        t->captouched = t->captouched ? t->captouched * 2 : 8;
        t->touched = realloc(t->touched, t->captouched * sizeof *t->touched);
        if (!t->touched)
            abort();
    }
    struct node *n = walk(x->root, path, NULL);
    t->touched[t->ntouched++] = (struct touched){ strdup(path), n ? n->gen : 0 };
}

/* Touches path and, up to the first existing one, the ancestors a creation adds. */
static void touch_with_parents(struct ctx *x, const char *path)
{
    char buf[ABS_PATH_MAX + 1];
    snprintf(buf, sizeof buf, "%s", path);
    for (;;) {
        touch(x, buf);
        if (walk(x->root, buf, NULL))
            break;
        char *slash = strrchr(buf, '/');
        if (slash == buf) {
            touch(x, "/");
            break;
        }
        *slash = '\0';
    }
}

static int op_read(struct ctx *x, const char *path, const struct node **out)
{
    touch(x, path);
    struct node *deepest;
    struct node *n = walk(x->root, path, &deepest);
    if (!n) /* xenstored's errno_from_parents: below a node we may not read, a missing one is EACCES */
        return x->check && !may(deepest, x->dom, PERM_READ) ? -EACCES : -ENOENT;
    if (x->check && !may(n, x->dom, PERM_READ))
        return -EACCES;
    *out = n;
    return 0;
}

static int op_write(struct ctx *x, const char *path, const char *value, size_t len, bool mkdir)
{
    touch_with_parents(x, path);
    struct node *deepest;
    struct node *n = walk(x->root, path, &deepest);
    if (n && mkdir)
        return 0;
    if (x->check && !may(n ? n : deepest, x->dom, PERM_WRITE))
        return -EACCES;
    if (!n)
        n = create(x->root, path, x->dom);
    if (!mkdir)
        set_value(n, value, len);
    renew(n);
    if (x->fire)
        fire(path, n);
    return 0;
}

static int op_rm(struct ctx *x, const char *path)
{
    touch_with_parents(x, path);
    if (strcmp(path, "/") == 0)
        return -EINVAL;
    struct node *n = walk(x->root, path, NULL);
    if (!n) {
        /* Like xenstored: removing what is already gone is fine if its parent is there. */
        const char *slash = strrchr(path, '/');
        char parent[ABS_PATH_MAX + 1];
        snprintf(parent, sizeof parent, "%.*s", (int)(slash - path), path);
        bool parent_there = slash == path || walk(x->root, parent, NULL) != NULL;
        return parent_there ? 0 : -ENOENT;
    }
    if (x->check && !may(n, x->dom, PERM_WRITE))
        return -EACCES;
    if (x->fire) {
        fire(path, n);
        fire_removed_descendants(path, n);
    }
    node_detach(n);
    node_free(n);
    return 0;
}

static int op_set_perms(struct ctx *x, const char *path, const struct perm *p, int np)
{
    touch(x, path);
    struct node *n = walk(x->root, path, NULL);
    if (!n)
        return -ENOENT;
    if (x->check && x->dom != 0 && (!may(n, x->dom, PERM_WRITE) || n->perms[0].id != x->dom))
        return -EACCES;
    set_perms(n, p, np);
    n->gen = next_gen(); /* fresh entries: each counts if its domain exists now */
    if (x->fire)
        fire(path, n);
    return 0;
}

/* ---- transactions ---- */

static struct txn *find_txn(struct conn *c, uint32_t id)
{
    for (struct txn *t = c->txns; t; t = t->next)
        if (t->id == id)
            return t;
    return NULL;
}

static void log_op(struct txn *t, enum op_kind kind, const char *path, const void *v, size_t len)
{
    if (t->nops == t->capops) {
        t->capops = t->capops ? t->capops * 2 : 8;
        t->ops = realloc(t->ops, t->capops * sizeof *t->ops);
        if (!t->ops)
            abort();
    }
    struct logged_op *o = &t->ops[t->nops++];
    o->kind = kind;
    o->path = strdup(path);
    o->value = len ? malloc(len) : NULL;
    if (len)
        memcpy(o->value, v, len);
    o->len = len;
}

static void txn_free(struct txn *t)
{
    node_free(t->root);
    for (int i = 0; i < t->nops; i++) {
        free(t->ops[i].path);
        free(t->ops[i].value);
    }
    for (int i = 0; i < t->ntouched; i++)
        free(t->touched[i].path);
    free(t->ops);
    free(t->touched);
    free(t);
    live_txns--;
}

static bool unchanged_since(struct txn *t)
{
    for (int i = 0; i < t->ntouched; i++) {
        struct node *n = walk(root, t->touched[i].path, NULL);
        if ((n ? n->gen : 0) != t->touched[i].gen)
            return false;
    }
    return true;
}

static int commit(struct conn *c, struct txn *t)
{
    if (!unchanged_since(t))
        return -EAGAIN;
    struct ctx x = { root, c->domid, false, true, NULL };
    for (int i = 0; i < t->nops; i++) {
        struct logged_op *o = &t->ops[i];
        switch (o->kind) {
        case OP_WRITE: op_write(&x, o->path, o->value, o->len, false); break;
        case OP_MKDIR: op_write(&x, o->path, NULL, 0, true); break;
        case OP_RM: op_rm(&x, o->path); break;
        case OP_SET_PERMS:
            op_set_perms(&x, o->path, (const struct perm *)o->value, (int)(o->len / sizeof(struct perm)));
            break;
        }
    }
    return 0;
}

/* ---- requests ---- */

static void end_txn(struct conn *c, uint32_t id, bool abort_it)
{
    for (struct txn **pp = &c->txns; *pp; pp = &(*pp)->next) {
        struct txn *t = *pp;
        if (t->id == id) {
            *pp = t->next;
            int rc = abort_it ? 0 : commit(c, t);
            txn_free(t);
            rc < 0 ? reply_err(c, -rc) : reply(c, 0, NULL, 0, NULL, 0);
            return;
        }
    }
    reply_err(c, ENOENT);
}

static void start_txn(struct conn *c)
{
    int n = 0;
    for (struct txn *t = c->txns; t; t = t->next)
        n++;
    if (n >= MAX_TXNS_PER_CONN) {
        reply_err(c, ENOSPC);
        return;
    }
    struct txn *t = calloc(1, sizeof *t);
    if (!t)
        abort();
    if (++c->next_txn == 0)
        c->next_txn = 1;
    t->id = c->next_txn;
    t->root = node_clone(root, NULL);
    t->next = c->txns;
    c->txns = t;
    live_txns++;
    reply(c, (int32_t)t->id, NULL, 0, NULL, 0);
}

static void node_request(struct conn *c, const struct xsim_req *req, const char *path,
                         const char *rest, size_t rest_len)
{
    char abs[ABS_PATH_MAX + 1];
    if (canonical(path, ABS_PATH_MAX + 1, c->domid, abs, NULL) < 0) {
        reply_err(c, EINVAL);
        return;
    }
    struct txn *t = NULL;
    if (req->a != 0 && !(t = find_txn(c, req->a))) {
        reply_err(c, ENOENT);
        return;
    }
    struct ctx x = { t ? t->root : root, c->domid, true, t == NULL, t };
    const struct node *n;
    int rc;
    switch (req->op) {
    case XSIM_XS_READ:
        rc = op_read(&x, abs, &n);
        if (rc == 0)
            reply(c, 0, n->value, n->vlen, NULL, 0);
        break;
    case XSIM_XS_DIRECTORY:
        rc = op_read(&x, abs, &n);
        if (rc == 0) {
            size_t len = 0;
            for (int i = 0; i < n->nkids; i++)
                len += strlen(n->kids[i]->name) + 1;
            char *buf = malloc(len + 1), *p = buf;
            for (int i = 0; i < n->nkids; i++) {
                size_t l = strlen(n->kids[i]->name) + 1;
                memcpy(p, n->kids[i]->name, l);
                p += l;
            }
            if (len > XSIM_MAX_MSG - sizeof(struct xsim_rsp))
                rc = -E2BIG;
            else
                reply(c, 0, buf, len, NULL, 0);
            free(buf);
        }
        break;
    case XSIM_XS_GET_PERMS:
        rc = op_read(&x, abs, &n);
        if (rc == 0) {
            /* void entries are listed as set (xenstored's xs_perm_to_string) */
            struct perm *p = malloc(n->nperms * sizeof *p);
            if (!p)
                abort();
            for (int i = 0; i < n->nperms; i++)
                p[i] = (struct perm){ n->perms[i].id, n->perms[i].perms & ~PERM_IGNORE };
            reply(c, 0, p, n->nperms * sizeof *p, NULL, 0);
            free(p);
        }
        break;
    case XSIM_XS_WRITE:
    case XSIM_XS_MKDIR: {
        bool mk = req->op == XSIM_XS_MKDIR;
        rc = op_write(&x, abs, rest, rest_len, mk);
        if (rc == 0 && t)
            log_op(t, mk ? OP_MKDIR : OP_WRITE, abs, rest, mk ? 0 : rest_len);
        break;
    }
    case XSIM_XS_RM:
        rc = op_rm(&x, abs);
        if (rc == 0 && t)
            log_op(t, OP_RM, abs, NULL, 0);
        break;
    case XSIM_XS_SET_PERMS: {
        int np = (int)(rest_len / sizeof(struct perm));
        if (np < 1 || rest_len % sizeof(struct perm)) {
            rc = -EINVAL;
            break;
        }
        struct perm *p = malloc(rest_len);
        memcpy(p, rest, rest_len);
        for (int i = 0; i < np; i++)
            p[i].perms &= PERM_READ | PERM_WRITE;
        rc = op_set_perms(&x, abs, p, np);
        if (rc == 0 && t)
            log_op(t, OP_SET_PERMS, abs, p, rest_len);
        free(p);
        break;
    }
    default:
        rc = -ENOSYS;
    }
    if (rc < 0)
        reply_err(c, -rc);
    else if (req->op != XSIM_XS_READ && req->op != XSIM_XS_DIRECTORY && req->op != XSIM_XS_GET_PERMS)
        reply(c, 0, NULL, 0, NULL, 0);
}

void store_handle(struct conn *c, const struct xsim_req *req, const char *payload, size_t len)
{
    if (c->kind != XSIM_K_XS) {
        reply_err(c, ENOSYS);
        return;
    }
    if (req->op == XSIM_XS_TXN_START) {
        start_txn(c);
        return;
    }
    if (req->op == XSIM_XS_TXN_END) {
        end_txn(c, req->a, req->b != 0);
        return;
    }
    /* Everything else starts with a NUL-terminated path. */
    const char *nul = len ? memchr(payload, '\0', len) : NULL;
    if (!nul) {
        reply_err(c, EINVAL);
        return;
    }
    const char *rest = nul + 1;
    size_t rest_len = len - (size_t)(rest - payload);
    if (req->op == XSIM_XS_WATCH || req->op == XSIM_XS_UNWATCH) {
        if (!rest_len || !memchr(rest, '\0', rest_len)) {
            reply_err(c, EINVAL);
            return;
        }
        int rc = req->op == XSIM_XS_WATCH ? add_watch(c, payload, rest)
                                          : remove_watch(c, payload, rest);
        rc < 0 ? reply_err(c, -rc) : reply(c, 0, NULL, 0, NULL, 0);
        return;
    }
    node_request(c, req, payload, rest, rest_len);
}

void store_conn_closed(struct conn *c)
{
    while (c->txns) {
        struct txn *t = c->txns;
        c->txns = t->next;
        txn_free(t);
    }
    for (struct watch **pp = &watches; *pp;) {
        if ((*pp)->owner == c) {
            struct watch *w = *pp;
            *pp = w->next;
            free_watch(w);
        } else {
            pp = &(*pp)->next;
        }
    }
}

/* ---- domains ---- */

static void ensure(const char *path, const char *value, const struct perm *p, int np)
{
    if (walk(root, path, NULL))
        return;
    struct node *n = create(root, path, 0);
    set_value(n, value, strlen(value));
    set_perms(n, p, np);
}

void store_domain_introduced(uint32_t domid)
{
    char path[64], value[16];
    struct perm guest_reads[2] = { { 0, 0 }, { domid, PERM_READ } };
    struct perm guest_owns[1] = { { domid, 0 } };
    snprintf(path, sizeof path, "/local/domain/%u", domid);
    ensure(path, "", guest_reads, domid ? 2 : 1);
    snprintf(path, sizeof path, "/local/domain/%u/domid", domid);
    snprintf(value, sizeof value, "%u", domid);
    ensure(path, value, guest_reads, domid ? 2 : 1);
    snprintf(path, sizeof path, "/local/domain/%u/data", domid);
    ensure(path, "", guest_owns, 1);
    fire_special("@introduceDomain");
}

void store_domain_released(uint32_t domid)
{
    (void)domid;
    fire_special("@releaseDomain");
}

/* Removes path and below from the real tree, firing watches. */
static void remove_tree(const char *path)
{
    struct ctx x = { root, 0, false, true, NULL };
    op_rm(&x, path);
}

/* As libxl: whatever an earlier domain of this id left goes, then a fresh home. */
void store_domain_created(uint32_t domid)
{
    char path[64];
    snprintf(path, sizeof path, "/local/domain/%u", domid);
    remove_tree(path);
    store_domain_introduced(domid);
}

/* As xl destroy: the toolstack removes the home, xenstored fires @releaseDomain. */
void store_domain_destroyed(uint32_t domid)
{
    char path[64];
    snprintf(path, sizeof path, "/local/domain/%u", domid);
    remove_tree(path);
    fire_special("@releaseDomain");
}

/* ---- persistence: the tree outlives the daemon in the state directory ---- */

static void save_node(FILE *f, const struct node *n, const char *path)
{
    uint32_t plen = (uint32_t)strlen(path), vlen = (uint32_t)n->vlen, np = (uint32_t)n->nperms;
    fwrite(&plen, 4, 1, f);
    fwrite(path, 1, plen, f);
    fwrite(&vlen, 4, 1, f);
    fwrite(n->value, 1, vlen, f);
    fwrite(&np, 4, 1, f);
    fwrite(n->perms, sizeof *n->perms, np, f);
    char sub[ABS_PATH_MAX + 1];
    for (int i = 0; i < n->nkids; i++) {
        snprintf(sub, sizeof sub, "%s/%s", strcmp(path, "/") ? path : "", n->kids[i]->name);
        save_node(f, n->kids[i], sub);
    }
}

/* Makes void what does not count now, so that the saved tree keeps it void. */
static void make_void_all(struct node *n)
{
    make_void(n);
    for (int i = 0; i < n->nkids; i++)
        make_void_all(n->kids[i]);
}

void store_save(void)
{
    make_void_all(root);
    char tmp[sizeof save_path + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", save_path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        dlog("cannot save the store to %s", tmp);
        return;
    }
    save_node(f, root, "/");
    if (fclose(f) == 0)
        rename(tmp, save_path);
}

static bool load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    bool ok = true;
    uint32_t plen, vlen, np;
    char p[ABS_PATH_MAX + 1];
    while (ok && fread(&plen, 4, 1, f) == 1) {
        ok = plen >= 1 && plen <= ABS_PATH_MAX && fread(p, 1, plen, f) == plen && p[0] == '/';
        p[ok ? plen : 0] = '\0';
        char *v = NULL;
        if (ok && fread(&vlen, 4, 1, f) == 1 && vlen <= XSIM_MAX_MSG) {
            v = malloc(vlen + 1);
            ok = fread(v, 1, vlen, f) == vlen;
        } else {
            ok = false;
        }
        struct perm *perms = NULL;
        if (ok && fread(&np, 4, 1, f) == 1 && np >= 1 && np <= 1024) {
            perms = malloc(np * sizeof *perms);
            ok = fread(perms, sizeof *perms, np, f) == np;
        } else {
            ok = false;
        }
        if (ok) {
            struct node *n = strcmp(p, "/") ? create(root, p, 0) : root;
            set_value(n, v, vlen);
            set_perms(n, perms, (int)np);
        }
        free(v);
        free(perms);
    }
    fclose(f);
    return ok;
}

void store_init(const char *dir)
{
    struct perm dom0_only = { 0, 0 };
    root = node_new("", NULL);
    set_perms(root, &dom0_only, 1);
    snprintf(save_path, sizeof save_path, "%s/xenstore.db", dir);
    if (!load(save_path)) {
        node_free(root);
        root = node_new("", NULL);
        set_perms(root, &dom0_only, 1);
    }
    ensure("/local", "", &dom0_only, 1);
    ensure("/local/domain", "", &dom0_only, 1);
    store_domain_introduced(0);
}

uint32_t watches_count(void)
{
    return live_watches;
}

uint32_t transactions_count(void)
{
    return live_txns;
}
