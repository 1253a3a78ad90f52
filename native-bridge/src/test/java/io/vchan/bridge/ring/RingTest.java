package io.vchan.bridge.ring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The index arithmetic of one ring and its checks, on a bare control page:
 * free-running u32 indices that wrap, masked offsets, a peer's index that
 * claims more than the ring holds, and our own index rewritten by the peer.
 * Our side reads the left ring (the server's view: the peer owns prod).
 */
class RingTest {

    private static final int ORDER = 10; // 1 KiB, in the control page at 1024

    private final ControlPage page = new ControlPage(ByteBuffer.allocateDirect(ControlPage.SIZE));

    /** The ring as the reader (cons is ours) with both indices at {@code start}. */
    private Ring reader(int start) {
        page.setRelease(ControlPage.LEFT_CONS, start);
        page.setRelease(ControlPage.LEFT_PROD, start);
        return new Ring(page, ControlPage.LEFT_CONS, ControlPage.LEFT_PROD, page.inPageRing(ORDER), ORDER, "left",
                Ring.Side.READER);
    }

    /** The same ring as the writer would see it (prod is ours): the peer of {@link #reader}. */
    private Ring writer() {
        return new Ring(page, ControlPage.LEFT_CONS, ControlPage.LEFT_PROD, page.inPageRing(ORDER), ORDER, "left",
                Ring.Side.WRITER);
    }

    @Test
    void bytesSurviveTheIndicesWrappingPastTwoToThe32AndTheRingsEnd() throws Exception {
        Ring reader = reader(0xffff_fe80); // 384 bytes before u32 wraps; offset 640 of 1024
        Ring writer = writer();
        byte[] sent = new byte[1000];
        new SplittableRandom(1).nextBytes(sent);
        assertEquals(1000, writer.write(ByteBuffer.wrap(sent)));
        assertEquals(1000, reader.ready());
        assertEquals(24, writer.space());
        ByteBuffer got = ByteBuffer.allocate(1000);
        assertEquals(1000, reader.read(got));
        assertArrayEquals(sent, got.array());
        assertEquals(0xffff_fe80 + 1000, page.getAcquire(ControlPage.LEFT_CONS)); // wrapped to 0x268
        assertEquals(0, reader.ready());
        assertEquals(1024, writer.space());
    }

    @Test
    void aFullRingIsReadyForItsWholeSizeAndNoMore() throws Exception {
        Ring reader = reader(7);
        page.setRelease(ControlPage.LEFT_PROD, 7 + 1024);
        assertEquals(1024, reader.ready());
        page.setRelease(ControlPage.LEFT_PROD, 7 + 1025);
        VchanProtocolException e = assertThrows(VchanProtocolException.class, reader::ready);
        assertTrue(e.getMessage().contains("exceeds its size 1024"), e.getMessage());
    }

    @Test
    void aProducerIndexBehindTheConsumerIsCorruptionNotAHugeRing() throws Exception {
        Ring reader = reader(100);
        page.setRelease(ControlPage.LEFT_PROD, 99); // prod − cons = 2^32 − 1 unsigned
        assertThrows(VchanProtocolException.class, reader::ready);
        assertThrows(VchanProtocolException.class, () -> reader.read(ByteBuffer.allocate(16)));
    }

    @Test
    void ourIndexRewrittenByThePeerIsCaughtAndNothingIsReadAgain() throws Exception {
        Ring reader = reader(0);
        Ring writer = writer();
        writer.write(ByteBuffer.wrap(new byte[64]));
        reader.read(ByteBuffer.allocate(64));
        page.setRelease(ControlPage.LEFT_CONS, 0); // the peer sets our cons back: 64 bytes to re-deliver
        VchanProtocolException e = assertThrows(VchanProtocolException.class,
                () -> reader.read(ByteBuffer.allocate(64)));
        assertTrue(e.getMessage().contains("our cons is 64 but the shared page says 0"), e.getMessage());
    }

    @Test
    void aPacketIsAllOrNothing() throws Exception {
        Ring reader = reader(0);
        Ring writer = writer();
        assertTrue(writer.writeAll(ByteBuffer.wrap(new byte[1000])));
        assertFalse(writer.writeAll(ByteBuffer.wrap(new byte[25])), "25 bytes do not fit in 24");
        assertEquals(1000, reader.ready(), "a refused packet writes nothing");
        ByteBuffer big = ByteBuffer.allocate(1001);
        assertFalse(reader.readAll(big), "1001 bytes are not there");
        assertEquals(0, big.position());
        assertEquals(1000, reader.ready(), "a refused packet reads nothing");
    }

    @Test
    void anotherThreadAskingHowMuchIsReadyOrFreeWhileTheIndicesMoveSeesNoCorruption() throws Exception {
        Ring reader = reader(0);
        Ring writer = writer();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> moverFailed = new AtomicReference<>();
        Thread mover = new Thread(() -> {
            try {
                while (!stop.get()) {
                    writer.write(ByteBuffer.allocate(100));
                    reader.read(ByteBuffer.allocate(100));
                }
            } catch (Throwable t) {
                moverFailed.set(t);
            }
        }, "mover");
        mover.start();
        long looks = 0;
        try {
            // as BlockingVchan's callers do: one thread moves the indices, another looks
            for (long end = System.nanoTime() + 300_000_000L; System.nanoTime() < end; looks++) {
                assertTrue(writer.space() <= 1024);
                assertTrue(reader.ready() <= 1024);
            }
        } finally {
            stop.set(true);
            mover.join();
        }
        assertEquals(null, moverFailed.get());
        assertTrue(looks > 0);
    }

    @Test
    void offsetsAreMaskedWhateverTheIndices() throws Exception {
        Ring reader = reader(0x7fff_fffc); // offset 1020: a 16-byte write wraps after 4 bytes
        Ring writer = writer();
        byte[] sent = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        writer.write(ByteBuffer.wrap(sent));
        ByteBuffer area = page.inPageRing(ORDER);
        assertEquals(4, area.get(1023));
        assertEquals(5, area.get(0));
        ByteBuffer got = ByteBuffer.allocate(16);
        reader.read(got);
        assertArrayEquals(sent, got.array());
    }
}
