package io.vchan.samples.xenvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * What the harness boots, built once per build by {@code images.sh} from
 * Debian's packages: Xen, the kernel, dom0's initramfs and the guest images.
 */
final class XenImages {

    private static XenImages instance;

    private final Path root;
    private final Path images;
    private final Path scripts;

    private XenImages(Path root, Path scripts) {
        this.root = root;
        this.images = root.resolve("images");
        this.scripts = scripts;
    }

    static synchronized XenImages get() throws IOException, InterruptedException {
        if (instance == null) {
            XenImages built = new XenImages(Path.of(required("xenvm.dir")).toAbsolutePath(),
                    Path.of(required("xenvm.scripts")).toAbsolutePath());
            built.build();
            instance = built;
        }
        return instance;
    }

    private static String required(String property) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + property + " is not set (the build sets it)");
        }
        return value;
    }

    private void build() throws IOException, InterruptedException {
        Files.createDirectories(root);
        Path log = root.resolve("images.log");
        long start = System.nanoTime();
        Process p = new ProcessBuilder("bash", scripts.resolve("images.sh").toString(), images.toString(),
                required("vchan.jar"), Path.of(required("test.bin"), "vchan-driver").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException("images.sh took more than 10 minutes; see " + log);
        }
        if (p.exitValue() != 0) {
            throw new IOException("images.sh failed (" + p.exitValue() + "):\n" + Files.readString(log));
        }
        System.out.printf("[xenvm] images ready in %d ms (%s)%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), images);
    }

    Path root() {
        return root;
    }

    Path xenRoot() {
        return images.resolve("root");
    }

    Path bootScript() {
        return scripts.resolve("boot.sh");
    }

    Path helpers() {
        return scripts.resolve("xenvm.sh");
    }
}
