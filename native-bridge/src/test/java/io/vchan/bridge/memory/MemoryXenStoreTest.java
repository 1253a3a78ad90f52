package io.vchan.bridge.memory;

import static io.vchan.bridge.memory.XenAsserts.assertErrno;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.XenStore;
import io.vchan.bridge.xen.XenStore.WatchEvent;
import io.vchan.bridge.xen.XenStorePermission;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MemoryXenStoreTest {

    private static final DomainId D0 = DomainId.DOM0;
    private static final DomainId D1 = DomainId.of(1);
    private static final DomainId D2 = DomainId.of(2);

    private final InMemoryPlatform platform = new InMemoryPlatform();

    @AfterEach
    void closePlatform() {
        platform.close();
        assertEquals(Resources.NONE, platform.resources());
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String text(Optional<byte[]> v) {
        return v.map(x -> new String(x, StandardCharsets.US_ASCII)).orElse(null);
    }

    /** The events queued now, without waiting. */
    private static List<WatchEvent> drain(XenStore xs) throws Exception {
        List<WatchEvent> events = new ArrayList<>();
        for (Optional<WatchEvent> e; (e = xs.awaitWatch(0)).isPresent(); ) {
            events.add(e.get());
        }
        return events;
    }

    @Test
    void a_domain_gets_its_home_and_relative_paths_resolve_there() throws Exception {
        try (XenStore d1 = platform.openXenStore(D1)) {
            assertEquals("1", text(d1.read(0, "domid")));
            assertEquals("1", text(d1.read(0, "/local/domain/1/domid")));
            d1.write(0, "data/x", b("v"));
            assertEquals("v", text(d1.read(0, "/local/domain/1/data/x")));
            assertEquals(List.of("x"), d1.directory(0, "data"));
            // The home directory itself belongs to dom0: the guest may read it, not write it.
            assertErrno(Errno.EACCES, () -> d1.write(0, "other", b("no")));
            assertErrno(Errno.EACCES, () -> d1.read(0, "/local/domain/0/domid"));
        }
    }

    @Test
    void missing_nodes_and_bad_paths() throws Exception {
        try (XenStore d0 = platform.openXenStore(D0)) {
            assertEquals(Optional.empty(), d0.read(0, "/no/such"));
            assertErrno(Errno.ENOENT, () -> d0.directory(0, "/no/such"));
            assertErrno(Errno.ENOENT, () -> d0.setPermissions(0, "/no/such", List.of(XenStorePermission.owner(D0,
                    false, false))));
            assertDoesNotThrow(() -> d0.remove(0, "/local/gone"), "removing what is gone is fine");
            assertErrno(Errno.ENOENT, () -> d0.remove(0, "/no/such"), "...unless its parent is gone too");
            assertErrno(Errno.EINVAL, () -> d0.remove(0, "/"));
            for (String bad : List.of("", "/a//b", "/a/", "a/", "/a b", "/a.b")) {
                assertErrno(Errno.EINVAL, () -> d0.read(0, bad));
            }
            assertErrno(Errno.EINVAL, () -> d0.write(0, "/" + "x".repeat(StorePath.ABSOLUTE_MAX), b("")));
            assertThrows(IllegalArgumentException.class, () -> d0.setPermissions(0, "/local", List.of()));
        }
    }

    @Test
    void permissions_follow_xen() throws Exception {
        try (XenStore d0 = platform.openXenStore(D0);
                XenStore d1 = platform.openXenStore(D1);
                XenStore d2 = platform.openXenStore(D2)) {
            d0.write(0, "/shared/key", b("secret"));
            assertErrno(Errno.EACCES, () -> d1.read(0, "/shared/key"), "a new node inherits dom0-only");
            d0.setPermissions(0, "/shared/key", List.of(XenStorePermission.owner(D0, false, false),
                    XenStorePermission.readOnly(D1)));
            assertEquals("secret", text(d1.read(0, "/shared/key")));
            assertErrno(Errno.EACCES, () -> d2.read(0, "/shared/key"));
            assertErrno(Errno.EACCES, () -> d1.write(0, "/shared/key", b("mine")));
            assertErrno(Errno.EACCES, () -> d1.remove(0, "/shared/key"));
            assertErrno(Errno.EACCES, () -> d1.setPermissions(0, "/shared/key",
                    List.of(XenStorePermission.owner(D1, true, true))));

            // perms[0] gives every unlisted domain its access.
            d0.setPermissions(0, "/shared/key", List.of(XenStorePermission.owner(D0, true, false),
                    new XenStorePermission(D1, false, false)));
            assertEquals("secret", text(d2.read(0, "/shared/key")));
            assertErrno(Errno.EACCES, () -> d1.read(0, "/shared/key"), "a listed entry beats perms[0]");
        }
    }

    /** As xenstored: below a node we may not read, a missing node is EACCES, not plainly missing. */
    @Test
    void a_missing_node_below_an_unreadable_one_is_denied() throws Exception {
        try (XenStore d0 = platform.openXenStore(D0); XenStore d1 = platform.openXenStore(D1)) {
            d0.write(0, "/hidden", b(""));
            assertErrno(Errno.EACCES, () -> d1.read(0, "/hidden/key"));
            assertErrno(Errno.EACCES, () -> d1.directory(0, "/hidden/a/b"));
            assertTrue(d0.read(0, "/hidden/key").isEmpty(), "dom0 may read everything: missing is missing");
            d0.setPermissions(0, "/hidden", List.of(XenStorePermission.owner(D0, false, false),
                    XenStorePermission.readOnly(D1)));
            assertTrue(d1.read(0, "/hidden/key").isEmpty(), "readable now: the key is plainly missing");
        }
    }

    @Test
    void a_new_node_inherits_its_parent_permissions_with_the_creator_as_owner() throws Exception {
        DomainId d3id = DomainId.of(3);
        try (XenStore d1 = platform.openXenStore(D1);
                XenStore d2 = platform.openXenStore(D2);
                XenStore d3 = platform.openXenStore(d3id)) {
            d1.write(0, "data/dir", b(""));
            d1.setPermissions(0, "data/dir", List.of(XenStorePermission.owner(D1, false, false),
                    new XenStorePermission(D2, true, true), XenStorePermission.readOnly(d3id)));
            d2.write(0, "/local/domain/1/data/dir/by2/leaf", b("x"));
            // by2 and leaf copy dir's list, but dom2 made them: dom2 owns them, dom1 is nobody there.
            assertErrno(Errno.EACCES, () -> d1.read(0, "data/dir/by2"));
            assertErrno(Errno.EACCES, () -> d1.setPermissions(0, "data/dir/by2",
                    List.of(XenStorePermission.owner(D1, false, false))));
            assertEquals("x", text(d3.read(0, "/local/domain/1/data/dir/by2/leaf")), "dom3's entry is inherited");
            assertErrno(Errno.EACCES, () -> d3.write(0, "/local/domain/1/data/dir/by2/leaf", b("y")));
            d2.setPermissions(0, "/local/domain/1/data/dir/by2/leaf",
                    List.of(XenStorePermission.owner(D2, false, false)));
            assertErrno(Errno.EACCES, () -> d3.read(0, "/local/domain/1/data/dir/by2/leaf"));
        }
    }

    @Test
    void a_transaction_sees_its_snapshot_and_commits_at_once() throws Exception {
        try (XenStore a = platform.openXenStore(D0);
                XenStore b = platform.openXenStore(D0)) {
            a.write(0, "/t/x", b("1"));
            int t = a.beginTransaction();
            a.write(t, "/t/y", b("2"));
            a.remove(t, "/t/x");
            assertEquals("2", text(a.read(t, "/t/y")));
            assertEquals(Optional.empty(), b.read(0, "/t/y"), "not visible before commit");
            assertEquals("1", text(b.read(0, "/t/x")));
            b.write(0, "/elsewhere", b("z"));
            assertTrue(a.endTransaction(t, false));
            assertEquals("2", text(b.read(0, "/t/y")));
            assertEquals(Optional.empty(), b.read(0, "/t/x"));
            assertEquals(0, platform.resources().openTransactions());
        }
    }

    @Test
    void a_conflicting_transaction_fails_and_changes_nothing() throws Exception {
        try (XenStore a = platform.openXenStore(D0);
                XenStore b = platform.openXenStore(D0)) {
            a.write(0, "/c/x", b("1"));
            int t = a.beginTransaction();
            assertEquals("1", text(a.read(t, "/c/x")));
            a.write(t, "/c/y", b("from-t"));
            b.write(0, "/c/x", b("changed"));
            assertFalse(a.endTransaction(t, false));
            assertEquals(Optional.empty(), b.read(0, "/c/y"));

            // A node the transaction created, made meanwhile by someone else: conflict too.
            int t2 = a.beginTransaction();
            a.write(t2, "/c/new", b("t2"));
            b.write(0, "/c/new", b("b"));
            assertFalse(a.endTransaction(t2, false));
            assertEquals("b", text(b.read(0, "/c/new")));

            int t3 = a.beginTransaction();
            a.write(t3, "/c/z", b("aborted"));
            assertTrue(a.endTransaction(t3, true));
            assertEquals(Optional.empty(), b.read(0, "/c/z"));
            assertErrno(Errno.ENOENT, () -> a.endTransaction(t3, false));
            assertErrno(Errno.ENOENT, () -> a.read(t3, "/c/x"));
            assertEquals(0, platform.resources().openTransactions());
        }
    }

    @Test
    void transactions_are_per_handle_and_closed_with_it() throws Exception {
        XenStore a = platform.openXenStore(D0);
        try (XenStore b = platform.openXenStore(D0)) {
            int t = a.beginTransaction();
            a.beginTransaction();
            assertEquals(2, platform.resources().openTransactions());
            assertErrno(Errno.ENOENT, () -> b.endTransaction(t, false));
            a.close();
            assertEquals(0, platform.resources().openTransactions());
        }
    }

    @Test
    void a_watch_fires_once_at_once_then_on_changes_at_or_below_it() throws Exception {
        try (XenStore w = platform.openXenStore(D0);
                XenStore x = platform.openXenStore(D0)) {
            w.watch("/w/dir", "tok");
            assertEquals(List.of(new WatchEvent("/w/dir", "tok")), drain(w));
            x.write(0, "/w/dir", b("1"));
            x.write(0, "/w/dir/sub/leaf", b("2"));
            x.write(0, "/w/dirt", b("not below"));
            x.write(0, "/w", b("above"));
            x.setPermissions(0, "/w/dir", List.of(XenStorePermission.owner(D0, true, false)));
            x.remove(0, "/w/dir/sub");
            assertEquals(List.of(new WatchEvent("/w/dir", "tok"), new WatchEvent("/w/dir/sub/leaf", "tok"),
                    new WatchEvent("/w/dir", "tok"), new WatchEvent("/w/dir/sub", "tok")), drain(w));
            w.unwatch("/w/dir", "tok");
            x.write(0, "/w/dir", b("3"));
            assertEquals(List.of(), drain(w));
            assertErrno(Errno.ENOENT, () -> w.unwatch("/w/dir", "tok"));
        }
    }

    @Test
    void watch_rules() throws Exception {
        try (XenStore d1 = platform.openXenStore(D1);
                XenStore d0 = platform.openXenStore(D0)) {
            d1.watch("data/v", "rel");
            assertErrno(Errno.EEXIST, () -> d1.watch("data/v", "rel"));
            d1.watch("/local/domain/0/private", "denied");
            assertEquals(List.of(new WatchEvent("data/v", "rel"),
                    new WatchEvent("/local/domain/0/private", "denied")), drain(d1));

            d1.write(0, "data/v/k", b("x"));
            // dom1 may not read this node: its watch stays quiet.
            d0.write(0, "/local/domain/0/private/k", b("y"));
            assertEquals(List.of(new WatchEvent("data/v/k", "rel")), drain(d1), "relative in, relative out");

            // Removing an ancestor fires a watch set exactly on a node inside.
            d1.remove(0, "data");
            assertEquals(List.of(new WatchEvent("data/v", "rel")), drain(d1));
            assertEquals(2, platform.resources().watches());
        }
        assertEquals(0, platform.resources().watches());
    }

    @Test
    void a_committed_transaction_fires_watches_an_aborted_one_does_not() throws Exception {
        try (XenStore w = platform.openXenStore(D0);
                XenStore x = platform.openXenStore(D0)) {
            w.watch("/tw", "t");
            drain(w);
            int aborted = x.beginTransaction();
            x.write(aborted, "/tw/a", b("1"));
            x.endTransaction(aborted, true);
            int t = x.beginTransaction();
            x.write(t, "/tw/b", b("1"));
            assertEquals(List.of(), drain(w), "nothing before commit");
            assertTrue(x.endTransaction(t, false));
            assertEquals(List.of(new WatchEvent("/tw/b", "t")), drain(w));
        }
    }

    @Test
    void await_watch_blocks_until_a_change_or_the_timeout() throws Exception {
        try (XenStore w = platform.openXenStore(D1);
                XenStore x = platform.openXenStore(D1)) {
            w.watch("data/k", "tok");
            drain(w);
            assertEquals(Optional.empty(), w.awaitWatch(20));
            Blocked<Optional<WatchEvent>> next = Blocked.call(() -> w.awaitWatch(-1)).untilParked();
            x.write(0, "data/k", b("v"));
            assertEquals(Optional.of(new WatchEvent("data/k", "tok")), next.get());
        }
    }

    @Test
    void introduce_domain_fires_when_a_domain_arrives() throws Exception {
        try (XenStore d0 = platform.openXenStore(D0)) {
            d0.watch("@introduceDomain", "in");
            d0.watch("@releaseDomain", "out");
            assertEquals(2, drain(d0).size());
            assertErrno(Errno.EINVAL, () -> d0.watch("@other", "x"));
            platform.openEventChannels(DomainId.of(7)).close();
            assertEquals(List.of(new WatchEvent("@introduceDomain", "in"), new WatchEvent("@releaseDomain", "out")),
                    drain(d0));
            assertArrayEquals(b("7"), d0.read(0, "/local/domain/7/domid").orElseThrow());
        }
    }

    @Test
    void a_closed_handle_refuses_calls() throws Exception {
        XenStore xs = platform.openXenStore(D0);
        xs.close();
        assertErrno(Errno.EINVAL, () -> xs.read(0, "/local"));
        assertErrno(Errno.EINVAL, () -> xs.awaitWatch(0));
    }
}
