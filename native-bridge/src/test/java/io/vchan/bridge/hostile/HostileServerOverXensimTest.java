package io.vchan.bridge.hostile;

import static io.vchan.bridge.hostile.XensimAttack.HOSTILE;
import static io.vchan.bridge.hostile.XensimAttack.OP_TIMEOUT;
import static io.vchan.bridge.hostile.XensimAttack.OURS;
import static io.vchan.bridge.hostile.XensimAttack.TIMEOUT;
import static org.junit.jupiter.api.Assertions.fail;

import io.vchan.bridge.BlockingVchan;
import io.vchan.bridge.ring.VchanConnectTimeoutException;
import io.vchan.bridge.ring.VchanProtocolException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Our client against a hostile C server (vchan-hostile --server, bare Xen
 * library calls) that publishes a channel per round, sometimes with corrupt
 * orders or grant refs, and corrupts the shared page while data flows both
 * ways: every connect either succeeds or is refused with a protocol error,
 * every channel ends with end of stream, a protocol error or a close, never
 * another exception or a hang, and 50 healthy channels on the same event loop
 * keep echoing intact data throughout.
 */
class HostileServerOverXensimTest {

    @Test
    void aHostileServerOnlyEverBreaksItsOwnChannel() throws Exception {
        String prefix = "/local/domain/1/data/vchan/0/s" + ProcessHandle.current().pid() % 100_000 + "-";
        try (XensimAttack attack = XensimAttack.start("server", prefix, FuzzBudget.cServerMutations(),
                FuzzBudget.seed(0x5eed_5e7eL))) {
            int caught = 0;
            // one channel after another, until the hostile server has done its mutations
            for (long r = 0; ; r++) {
                BlockingVchan client;
                try {
                    client = connectOrDone(prefix + r, attack);
                } catch (VchanProtocolException e) {
                    caught++; // refused what the server announced: the round is over for both
                    continue;
                }
                if (client == null) {
                    break;
                }
                try (client) {
                    VictimTraffic traffic = new VictimTraffic(client, attack.executor(), attack.seed() + r, OP_TIMEOUT);
                    if (traffic.awaitAcceptableEnd(TIMEOUT, "round " + r + " (seed " + attack.seed() + ")")) {
                        caught++;
                    }
                }
            }
            attack.finish(caught);
        }
    }

    /** The client connected to {@code path}; null if instead the server finished its work and said "done". */
    private static BlockingVchan connectOrDone(String path, XensimAttack attack) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            try {
                return BlockingVchan.connect(attack.loop(), OURS, HOSTILE, path, Duration.ofMillis(100));
            } catch (VchanConnectTimeoutException e) {
                if (attack.hostileDone()) {
                    return null;
                }
                if (System.nanoTime() > deadline) {
                    fail("the hostile server never published " + path + ": " + attack.describeHostile());
                }
            }
        }
    }
}
