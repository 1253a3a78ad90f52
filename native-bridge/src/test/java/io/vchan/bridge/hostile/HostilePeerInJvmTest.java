package io.vchan.bridge.hostile;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.BlockingVchan;
import io.vchan.bridge.events.EventLoop;
import io.vchan.bridge.memory.InMemoryPlatform;
import io.vchan.bridge.memory.Resources;
import io.vchan.bridge.ring.VchanClosedException;
import io.vchan.bridge.ring.VchanProtocolException;
import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.GrantMapper;
import io.vchan.bridge.xen.MappedPages;
import io.vchan.bridge.xen.XenStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * Both of our roles under a hostile peer on the in-JVM platform: a third
 * party maps the server's control page a second time and corrupts it at
 * random moments — before the client connects (orders, grant list) and while
 * data flows both ways. Each end fails only with a protocol error, a close or
 * end of stream, never hangs past the end of the attack, releases every
 * resource, and 50 healthy channels on the same event loop stay intact.
 */
class HostilePeerInJvmTest {

    private static final DomainId SERVER = DomainId.of(0);
    private static final DomainId CLIENT = DomainId.of(1);
    private static final DomainId BYSTANDER = DomainId.of(2);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final int[][] SIZES = {{1024, 2048}, {2048, 1024}, {4096, 4096}, {8192, 2048}, {2048, 16384}};

    @Test
    void aCorruptedPageFailsOnlyThatChannelInEitherRole() throws Exception {
        long target = FuzzBudget.javaMutations();
        long seed = FuzzBudget.seed(0x1a7a_f022L);
        System.out.println("in-JVM hostile peer: seed " + seed + " (replay: -Dvchan.fuzz.seed)");
        SplittableRandom random = new SplittableRandom(seed);
        InMemoryPlatform platform = new InMemoryPlatform();
        ExecutorService executor = Executors.newCachedThreadPool();
        long mutations = 0;
        int rounds = 0;
        int caught = 0;
        try (EventLoop loop = EventLoop.start(platform, 1);
                HealthyChannels healthy = new HealthyChannels(loop, SERVER, BYSTANDER, "/local/domain/0/data/vchan/2/healthy-", 50);
                XenStore xs = platform.openXenStore(CLIENT);
                GrantMapper attacker = platform.openGrantMapper(CLIENT)) {
            loop.channels(CLIENT);
            Resources baseline = platform.resources();
            AttackWindow window = AttackWindow.open(healthy);
            long start = System.nanoTime();
            while (mutations < target) {
                String path = "/local/domain/0/data/vchan/1/victim-" + rounds;
                int[] size = SIZES[rounds % SIZES.length];
                rounds++;
                try (BlockingVchan server = BlockingVchan.serve(loop, SERVER, CLIENT, path, size[0], size[1])) {
                    int ref = Integer.parseInt(new String(xs.read(0, path + "/ring-ref").orElseThrow(),
                            StandardCharsets.US_ASCII));
                    try (MappedPages page = attacker.map(SERVER, new int[] {ref}, true)) {
                        PageMutator mutator = new PageMutator(page.memory(), random.split());
                        caught += attack(loop, server, path, mutator, random, executor) ? 1 : 0;
                        mutations += mutator.mutations();
                    }
                }
            }
            System.out.printf("in-JVM hostile peer: %d mutations over %d channels in %d ms, %d caught%n",
                    mutations, rounds, (System.nanoTime() - start) / 1_000_000, caught);
            window.assertProgressAndReport();
            assertTrue(caught > 0, "no corruption was ever detected: the fuzzer is not reaching the checks");
            assertTrue(platform.resources().equals(baseline),
                    "resources leaked: " + baseline + " -> " + platform.resources());
        } finally {
            executor.shutdownNow();
            platform.close();
        }
    }

    /** One channel: corrupt, maybe before the client connects, then while data flows; true if caught. */
    private static boolean attack(EventLoop loop, BlockingVchan server, String path, PageMutator mutator,
            SplittableRandom random, ExecutorService executor) throws Exception {
        if (random.nextInt(8) == 0) {
            for (int i = random.nextInt(4); i >= 0; i--) {
                mutator.mutate();
            }
        }
        BlockingVchan client;
        try {
            client = BlockingVchan.connect(loop, CLIENT, SERVER, path, TIMEOUT);
        } catch (VchanProtocolException e) {
            return true; // the client refused what the "server" announced
        } catch (VchanClosedException e) {
            return false; // the page said the server is gone (live byte 0): a close
        }
        try (client) {
            VictimTraffic serverSide = new VictimTraffic(server, executor, random.nextLong(), TIMEOUT);
            VictimTraffic clientSide = new VictimTraffic(client, executor, random.nextLong(), TIMEOUT);
            for (int i = 1 + random.nextInt(100); i > 0; i--) {
                // random moments: let the traffic run a random while between mutations
                for (int spin = random.nextInt(2000); spin > 0; spin--) {
                    Thread.onSpinWait();
                }
                mutator.mutate();
            }
            // The attack is over. The mutator sends no events, so an end it stalled (say, a
            // live byte flipped back to 1 after the client gave up) would wait for its own
            // timeout: close both ends, which must then finish promptly and acceptably.
            client.close();
            server.close();
            boolean caught = clientSide.awaitAcceptableEnd(TIMEOUT, "client on " + path);
            return serverSide.awaitAcceptableEnd(TIMEOUT, "server on " + path) || caught;
        }
    }
}
