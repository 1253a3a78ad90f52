package io.vchan.bridge.hostile;

import static io.vchan.bridge.hostile.XensimAttack.HOSTILE;
import static io.vchan.bridge.hostile.XensimAttack.OP_TIMEOUT;
import static io.vchan.bridge.hostile.XensimAttack.OURS;
import static io.vchan.bridge.hostile.XensimAttack.TIMEOUT;
import static org.junit.jupiter.api.Assertions.fail;

import io.vchan.bridge.BlockingVchan;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Our server against a hostile C client (vchan-hostile, bare Xen library
 * calls) that corrupts the shared page while data flows both ways: every
 * channel it attacks ends with end of stream, a protocol error or a close,
 * never another exception or a hang, and 50 healthy channels on the same
 * event loop keep echoing intact data throughout.
 */
class HostileClientOverXensimTest {

    /** (read, write) ring sizes per round: in-page orders 10/11 and granted 12/13. */
    private static final int[][] SIZES = {{1024, 2048}, {2048, 1024}, {4096, 4096}, {8192, 2048}, {2048, 8192}};

    @Test
    void aHostileClientOnlyEverBreaksItsOwnChannel() throws Exception {
        String prefix = "/local/domain/0/data/vchan/1/h" + ProcessHandle.current().pid() % 100_000 + "-";
        try (XensimAttack attack = XensimAttack.start("client", prefix, FuzzBudget.cClientMutations(),
                FuzzBudget.seed(0x5eed_c0deL))) {
            int caught = 0;
            // one channel after another, until the hostile client has done its mutations
            for (long r = 0; ; r++) {
                int[] size = SIZES[(int) (r % SIZES.length)];
                try (BlockingVchan server = BlockingVchan.serve(attack.loop(), OURS, HOSTILE, prefix + r, size[0],
                        size[1])) {
                    if (!awaitPeerOrDone(server, attack)) {
                        break;
                    }
                    VictimTraffic traffic = new VictimTraffic(server, attack.executor(), attack.seed() + r, OP_TIMEOUT);
                    if (traffic.awaitAcceptableEnd(TIMEOUT, "round " + r + " (seed " + attack.seed() + ")")) {
                        caught++;
                    }
                }
            }
            attack.finish(caught);
        }
    }

    /** True once the client connected; false if instead it finished its work and said "done". */
    private static boolean awaitPeerOrDone(BlockingVchan server, XensimAttack attack) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!server.awaitPeer(Duration.ofMillis(50))) {
            if (attack.hostileDone()) {
                return false;
            }
            if (System.nanoTime() > deadline) {
                fail("the hostile client never connected to " + server.endpoint().path() + ": "
                        + attack.describeHostile());
            }
        }
        return true;
    }
}
