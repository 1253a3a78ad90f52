package io.vchan.samples.cli;

import io.vchan.bridge.jna.JnaPlatform;
import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.XenStore;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Test helper, run as a domain of a simulated host: waits (with a watch) until
 * a XenStore node has a value, prints {@code value: <it>} and exits 0; exits 1
 * if none comes in time. Arguments: DOMID PATH TIMEOUT_MS.
 */
public final class XenStoreWait {

    private XenStoreWait() {
    }

    public static void main(String[] args) throws Exception {
        String path = args[1];
        long deadline = System.nanoTime() + Long.parseLong(args[2]) * 1_000_000;
        try (JnaPlatform platform = JnaPlatform.xensim();
                XenStore xs = platform.openXenStore(DomainId.of(Integer.parseInt(args[0])))) {
            xs.watch(path, "wait");
            while (true) {
                Optional<byte[]> value = xs.read(0, path);
                if (value.isPresent()) {
                    System.out.println("value: " + new String(value.get(), StandardCharsets.US_ASCII));
                    return;
                }
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    System.out.println("timeout");
                    System.exit(1);
                }
                xs.awaitWatch(left);
            }
        }
    }
}
