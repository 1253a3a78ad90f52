package io.vchan.samples.xenvm;

import java.time.Duration;

/** scratch: boot and run one script from the command line (not a test) */
public final class Scratch {
    public static void main(String[] args) throws Exception {
        try (XenVm vm = XenVm.boot(System.getProperty("name", "scratch"))) {
            System.out.println("boot " + vm.bootMillis() + " ms");
            for (String a : args) {
                XenVm.Dom0Result r = vm.dom0(java.nio.file.Files.readString(java.nio.file.Path.of(a)), Duration.ofMinutes(10));
                System.out.println("== " + a + " status " + r.status() + " in " + r.millis() + " ms\n" + r.output());
            }
        }
    }
}
