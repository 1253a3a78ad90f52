package io.vchan.samples.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vchan vm-manager}: the VM-manager walkthrough on xensim. On the host
 * named by {@code XENSIM_DIR} it runs the walkthrough in this process as dom0;
 * without one it makes a fresh host and runs itself there, since a process's
 * xensim host is fixed by its environment.
 */
@Command(name = "vm-manager", mixinStandardHelpOptions = true,
        description = "VM-manager walkthrough: a manager in dom0, guest agents in dom1..N on xensim;"
                + " one guest is killed and restarted while the others keep serving.")
final class VmManagerCommand implements Callable<Integer> {

    @Option(names = "--guests", defaultValue = "3", description = "Guest domains (default ${DEFAULT-VALUE}).")
    int guests;

    @Override
    public Integer call() throws Exception {
        if (guests < 1 || guests > 32) {
            throw new IllegalArgumentException("--guests must be in 1..32, not " + guests);
        }
        String host = System.getenv("XENSIM_DIR");
        if (host == null || host.isBlank()) {
            return onFreshHost();
        }
        String self = System.getenv("XENSIM_DOMID");
        if (self != null && !self.isBlank() && !self.trim().equals("0")) {
            throw new IllegalArgumentException("the manager runs in dom0, not dom" + self.trim()
                    + ": unset XENSIM_DOMID");
        }
        return new VmManagerWalkthrough(Path.of(host), guests, System.out).run();
    }

    private int onFreshHost() throws Exception {
        Path host = Files.createTempDirectory("xsim-vmm");
        try {
            List<String> command = new ArrayList<>(GuestProcesses.javaCommand());
            command.addAll(List.of(VchanCli.class.getName(), "vm-manager", "--guests", Integer.toString(guests)));
            ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
            builder.environment().put("XENSIM_DIR", host.toString());
            builder.environment().put("XENSIM_DOMID", "0");
            return builder.start().waitFor();
        } finally {
            try (Stream<Path> files = Files.walk(host)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
