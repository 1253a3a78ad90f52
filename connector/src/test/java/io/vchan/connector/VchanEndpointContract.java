package io.vchan.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.connector.VchanEndpoint.ShutdownMode;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/** The endpoint API without streams, one Mirage_flow rule per test; the same actor as the flows. */
abstract class VchanEndpointContract extends VchanTestSupport {

    record Pair(VchanEndpoint server, VchanEndpoint client) implements AutoCloseable {
        @Override
        public void close() {
            client.close();
            server.close();
        }
    }

    Pair connect() throws Exception {
        VchanPort port = freshPort();
        CompletionStage<VchanEndpoint> server = VchanEndpoint.serve(vchan, CLIENT, port, serverSettings());
        try {
            VchanEndpoint client = await(VchanEndpoint.connect(vchan, SERVER, port, clientSettings()));
            return new Pair(await(server), client);
        } catch (Exception | Error e) {
            server.thenAccept(VchanEndpoint::closeAsync);
            throw e;
        }
    }

    /** Reads until {@code n} bytes came. */
    static ByteString readBytes(VchanEndpoint e, int n) throws Exception {
        ByteString got = ByteString.emptyByteString();
        while (got.size() < n) {
            Optional<ByteString> chunk = await(e.read());
            assertTrue(chunk.isPresent(), "end of stream after " + got.size() + " of " + n + " bytes");
            assertFalse(chunk.get().isEmpty(), "a read returns at least one byte");
            got = got.concat(chunk.get());
        }
        return got;
    }

    @Test
    void readReturnsFreshDataThenEndOfStreamForever() throws Exception {
        try (Pair p = connect()) {
            CompletionStage<Optional<ByteString>> pending = p.server().read();
            assertFalse(pending.toCompletableFuture().isDone(), "a read waits for data");
            await(p.client().write(ByteString.fromString("abc")));
            ByteString got = await(pending).orElseThrow();
            assertEquals("abc", got.take(3).utf8String());
            assertEquals("abc", got.concat(readBytes(p.server(), 3 - got.size())).utf8String());
            p.client().close();
            assertEquals(Optional.empty(), await(p.server().read()));
            assertEquals(Optional.empty(), await(p.server().read()), "end of stream stays");
        }
    }

    @Test
    void writeCompletesWhenTheBytesAreInTheRingNotWhenRead() throws Exception {
        try (Pair p = connect()) {
            int ring = 65536;
            await(p.client().write(ByteString.fromArrayUnsafe(new byte[ring])));
            CompletionStage<Done> more = p.client().write(ByteString.fromString("!"));
            assertFalse(more.toCompletableFuture().isDone(), "the ring is full: the write waits");
            int first = readBytes(p.server(), 1).size();
            await(more);
            assertEquals(ring + 1 - first, readBytes(p.server(), ring + 1 - first).size());
        }
    }

    @Test
    void writesAndWritevKeepTheirOrder() throws Exception {
        try (Pair p = connect()) {
            p.client().write(ByteString.fromString("a"));
            p.client().writev(List.of(ByteString.fromString("b"), ByteString.fromString("cd"),
                    ByteString.emptyByteString(), ByteString.fromString("e")));
            await(p.client().write(ByteString.fromString("f")));
            assertEquals("abcdef", readBytes(p.server(), 6).utf8String());
        }
    }

    @Test
    void writeAfterCloseFailsWithTheClosedException() throws Exception {
        try (Pair p = connect()) {
            p.client().close();
            Throwable e = failureOf(p.client().write(ByteString.fromString("late")));
            assertInstanceOf(VchanClosedException.class, e);
            assertInstanceOf(VchanClosedException.class, failureOf(p.client().read()));
        }
    }

    @Test
    void writeAfterPeerCloseFails() throws Exception {
        try (Pair p = connect()) {
            p.server().close();
            assertInstanceOf(VchanClosedException.class, failureOf(p.client().write(ByteString.fromString("x"))));
        }
    }

    @Test
    void shutdownReadEndsPendingAndLaterReads() throws Exception {
        try (Pair p = connect()) {
            CompletionStage<Optional<ByteString>> pending = p.server().read();
            await(p.server().shutdown(ShutdownMode.READ));
            assertEquals(Optional.empty(), await(pending));
            assertEquals(Optional.empty(), await(p.server().read()));
            // writing still works
            await(p.server().write(ByteString.fromString("still")));
            assertEquals("still", readBytes(p.client(), 5).utf8String());
        }
    }

    @Test
    void shutdownWriteLetsThePeerDrainThenEndWhileWeKeepReading() throws Exception {
        try (Pair p = connect()) {
            p.client().write(ByteString.fromString("last"));
            await(p.client().shutdown(ShutdownMode.WRITE));
            assertEquals("last", readBytes(p.server(), 4).utf8String());
            assertEquals(Optional.empty(), await(p.server().read()));
            assertInstanceOf(VchanClosedException.class, failureOf(p.client().write(ByteString.fromString("x"))));
            await(p.server().write(ByteString.fromString("reply")));
            assertEquals("reply", readBytes(p.client(), 5).utf8String());
        }
    }

    @Test
    void shutdownReadWriteDoesBoth() throws Exception {
        try (Pair p = connect()) {
            await(p.client().shutdown(ShutdownMode.READ_WRITE));
            assertEquals(Optional.empty(), await(p.client().read()));
            assertEquals(Optional.empty(), await(p.server().read()));
        }
    }

    @Test
    void closeIsIdempotent() throws Exception {
        Pair p = connect();
        p.client().close();
        p.client().close();
        await(p.client().closeAsync());
        p.server().close();
        await(p.server().closeAsync());
    }

    @Test
    void twoReadsAtOnceAreRefused() throws Exception {
        try (Pair p = connect()) {
            CompletionStage<Optional<ByteString>> first = p.server().read();
            assertInstanceOf(IllegalStateException.class, failureOf(p.server().read()));
            await(p.client().write(ByteString.fromString("z")));
            assertEquals("z", await(first).orElseThrow().utf8String());
        }
    }
}
