package io.vchan.samples.cli;

import io.vchan.samples.cli.bench.BenchCommand;
import io.vchan.samples.cli.bench.BenchPeerCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code vchan}: vchan from the command line, over Xen or xensim
 * ({@code XENSIM_DIR} / {@code XENSIM_DOMID} as Xen's C tools on xensim).
 */
@Command(name = "vchan", mixinStandardHelpOptions = true, version = "vchan 0.1",
        description = "Streams between Xen domains over vchan.",
        subcommands = {CatCommand.class, ProxyCommand.class, DemoCommand.class, DemoPeerCommand.class,
                VmManagerCommand.class, GuestAgentCommand.class, BenchCommand.class, BenchPeerCommand.class})
public final class VchanCli {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (see {@link ExitCodes}). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new VchanCli());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            Failure failure = Failure.of(e);
            cmd.getErr().println("vchan " + cmd.getCommandName() + ": " + failure.message());
            return failure.exitCode();
        });
        return cli.execute(args);
    }
}
