package io.vchan.bridge.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.ring.RingEndpoint;
import io.vchan.bridge.ring.VchanProtocolException;
import io.vchan.bridge.xen.GrantMapper;
import io.vchan.bridge.xen.MappedPages;
import io.vchan.bridge.xen.XenStore;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntBinaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Packet mode is all or nothing even when a hostile peer moves its index
 * between our reads of it: a packet call that says it moved the packet moved
 * all of it. The peer flips its index between "a packet's worth" and "one
 * byte" as fast as it can while we read or write 64-byte packets.
 */
class PacketNotTornByAMovingPeerTest {

    private static final int PACKET = 64;
    private static final int CALLS = 1_000_000;
    /** Ring orders 10 and 11 live in the control page: left (the server reads) 1 KiB at 1024, right 2 KiB. */
    private static final int LEFT_CONS = 0;
    private static final int LEFT_PROD = 4;
    private static final int RIGHT_CONS = 8;
    private static final int RIGHT_PROD = 12;

    private InJvmPair pair;

    @BeforeEach
    void connect() throws Exception {
        pair = new InJvmPair("packets", 1024, 2048);
    }

    @AfterEach
    void close() {
        pair.close();
    }

    /** Runs {@code peerIndex(ours, flip)} as the peer's index at {@code peerOffset}, until stopped. */
    private Thread flipper(ByteBuffer page, int ourOffset, int peerOffset, IntBinaryOperator peerIndex,
            AtomicBoolean stop) {
        Thread t = new Thread(() -> {
            for (int flip = 0; !stop.get(); flip ^= 1) {
                page.putInt(peerOffset, peerIndex.applyAsInt(page.getInt(ourOffset), flip));
            }
        }, "index-flipping-peer");
        t.start();
        return t;
    }

    private interface Calls {
        /** One packet call; false if it moved nothing; throws if it tore the packet. */
        boolean call() throws Exception;
    }

    private int run(int ourOffset, int peerOffset, IntBinaryOperator peerIndex, Calls calls) throws Exception {
        try (XenStore xs = pair.platform.openXenStore(InJvmPair.CLIENT);
                GrantMapper mapper = pair.platform.openGrantMapper(InJvmPair.CLIENT)) {
            int ref = Integer.parseInt(new String(xs.read(0, pair.path + "/ring-ref").orElseThrow(),
                    StandardCharsets.US_ASCII));
            try (MappedPages mapped = mapper.map(InJvmPair.SERVER, new int[] {ref}, true)) {
                ByteBuffer page = mapped.memory().order(ByteOrder.LITTLE_ENDIAN);
                AtomicBoolean stop = new AtomicBoolean();
                Thread peer = flipper(page, ourOffset, peerOffset, peerIndex, stop);
                int moved = 0;
                try {
                    for (int i = 0; i < CALLS; i++) {
                        try {
                            if (calls.call()) {
                                moved++;
                            }
                        } catch (VchanProtocolException e) {
                            // the peer's index and ours crossed (it read ours before we moved it): refused
                            // whole, which is all a packet call may do besides moving the packet
                        }
                    }
                } finally {
                    stop.set(true);
                    peer.join();
                }
                return moved;
            }
        }
    }

    @Test
    void aReadPacketIsWholeOrNothing() throws Exception {
        RingEndpoint ep = pair.server.endpoint();
        // the peer's prod: a packet's worth ahead of our cons, then one byte ahead
        int moved = run(LEFT_CONS, LEFT_PROD, (cons, flip) -> cons + (flip == 0 ? PACKET : 1), () -> {
            ByteBuffer dst = ByteBuffer.allocate(PACKET);
            if (!ep.readPacket(dst)) {
                return false;
            }
            assertEquals(0, dst.remaining(), "readPacket said it read a packet and left part of it unread");
            return true;
        });
        assertTrue(moved > 0, "some packets were read: " + moved);
    }

    @Test
    void aWritePacketIsWholeOrNothing() throws Exception {
        RingEndpoint ep = pair.server.endpoint();
        int size = 2048;
        // the peer's cons: leaving a packet's worth of space behind our prod, then one byte
        int moved = run(RIGHT_PROD, RIGHT_CONS, (prod, flip) -> prod - size + (flip == 0 ? PACKET : 1), () -> {
            ByteBuffer src = ByteBuffer.allocate(PACKET);
            if (!ep.writePacket(src)) {
                return false;
            }
            assertEquals(0, src.remaining(), "writePacket said it wrote a packet and left part of it unwritten");
            return true;
        });
        assertTrue(moved > 0, "some packets were written: " + moved);
    }
}
