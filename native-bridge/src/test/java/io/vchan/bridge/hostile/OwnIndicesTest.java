package io.vchan.bridge.hostile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.ring.VchanProtocolException;
import io.vchan.bridge.xen.GrantMapper;
import io.vchan.bridge.xen.MappedPages;
import io.vchan.bridge.xen.XenStore;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What is ours in the shared page stays ours: a peer that rewrites the index
 * we own is a protocol error (it would make us re-deliver or skip bytes), and
 * an end of stream once reported is not taken back by a peer that marks itself
 * live again and writes on.
 */
class OwnIndicesTest {

    /** The server reads the left ring: its cons at 0, the client's prod at 4; the client's live byte at 20. */
    private static final int LEFT_CONS = 0;
    private static final int LEFT_PROD = 4;
    private static final int CLI_LIVE = 20;

    private InJvmPair pair;

    @BeforeEach
    void connect() throws Exception {
        pair = new InJvmPair("own", 1024, 1024);
    }

    @AfterEach
    void close() {
        pair.close();
    }

    /** As the hostile client: maps the server's page and does {@code attack} to it. */
    private void asHostileClient(Consumer<ByteBuffer> attack) throws Exception {
        try (XenStore xs = pair.platform.openXenStore(InJvmPair.CLIENT);
                GrantMapper mapper = pair.platform.openGrantMapper(InJvmPair.CLIENT)) {
            int ref = Integer.parseInt(new String(xs.read(0, pair.path + "/ring-ref").orElseThrow(),
                    StandardCharsets.US_ASCII));
            try (MappedPages page = mapper.map(InJvmPair.SERVER, new int[] {ref}, true)) {
                attack.accept(page.memory().order(ByteOrder.LITTLE_ENDIAN));
            }
        }
    }

    @Test
    void aPeerRewritingOurConsumerIndexIsAProtocolError() throws Exception {
        byte[] sent = new byte[128];
        for (int i = 0; i < sent.length; i++) {
            sent[i] = (byte) i;
        }
        pair.client.writeFully(ByteBuffer.wrap(sent), InJvmPair.TIMEOUT);
        ByteBuffer first = ByteBuffer.allocate(64);
        while (first.hasRemaining()) {
            assertTrue(pair.server.read(first, InJvmPair.TIMEOUT) > 0);
        }
        // back to 0: if we took our cons from the page, we would read bytes 0..63 again
        asHostileClient(page -> page.putInt(LEFT_CONS, 0));

        VchanProtocolException e = assertThrows(VchanProtocolException.class,
                () -> pair.server.read(ByteBuffer.allocate(64), InJvmPair.TIMEOUT));
        assertEquals("left ring is corrupt: our cons is 64 but the shared page says 0: the peer rewrote it",
                e.getMessage());
    }

    @Test
    void anEndOfStreamOnceReportedStays() throws Exception {
        pair.client.writeFully(ByteBuffer.wrap(new byte[] {'a'}), InJvmPair.TIMEOUT);
        pair.client.shutdownWrite();
        ByteBuffer a = ByteBuffer.allocate(1);
        assertEquals(1, pair.server.read(a, InJvmPair.TIMEOUT));
        assertEquals(-1, pair.server.read(ByteBuffer.allocate(8), InJvmPair.TIMEOUT));

        // the peer "comes back": clears its shutdown bit in our notify byte, says it is live, writes on
        asHostileClient(page -> {
            page.put(23, (byte) (page.get(23) & 0x7f));
            page.put(CLI_LIVE, (byte) 1);
            int prod = page.getInt(LEFT_PROD);
            page.put(1024 + (prod & 1023), (byte) 'z');
            page.putInt(LEFT_PROD, prod + 1);
        });

        ByteBuffer after = ByteBuffer.allocate(8);
        assertEquals(-1, pair.server.read(after, InJvmPair.TIMEOUT), "the end of stream stays");
        assertArrayEquals(new byte[8], after.array());
        assertTrue(pair.server.endpoint().isEndOfStream());
    }
}
