package io.flinkfleet.fetcher;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.plugin.PluginUtils;

/**
 * The init container of a jar connection's JobManager: copies the tenant's jar out of its artifact
 * area into the pod's own folder while hashing it, and keeps the copy only when its bytes are the
 * digest's. It reads as the JobManager would have: Flink's FileSystem from the image's plugins folder,
 * the pod's config (FLINK_CONF_DIR) and the pod's own storage credentials, so it reaches no more than
 * the pod may. Arguments: {@code <source uri> <sha256:hex> <target file>}.
 *
 * <p>Exit codes are read by the runtime (activities/runtime/kubernetes/jar-fetcher/location.ts):
 * 3 the bytes are another digest's, 4 the area holds no such jar; the reason is the container's
 * termination message, which the kubelet puts into the pod's status.
 */
public final class JarFetcher {
  private static final int DIGEST_MISMATCH = 3;
  private static final int MISSING = 4;
  private static final String TERMINATION_LOG = "/dev/termination-log";

  private JarFetcher() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3) throw new IllegalArgumentException("usage: JarFetcher <source uri> <sha256:hex> <target file>");
    String source = args[0];
    String expected = args[1];
    java.nio.file.Path target = Paths.get(args[2]);
    Configuration config = GlobalConfiguration.loadConfiguration();
    FileSystem.initialize(config, PluginUtils.createPluginManagerFromRootFolder(config));
    Path path = new Path(source);
    FileSystem fs = path.getFileSystem();
    if (!fs.exists(path)) {
      fail(MISSING, "spec.job.jar: " + expected + " is not in the tenant's artifact area (" + source + "); put it there with `flink-fleet artifact put`");
    }
    // A copy beside the target, renamed into place only once checked: the JobManager never sees a partial or unchecked file.
    java.nio.file.Path partial = Paths.get(args[2] + ".partial");
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    try (InputStream in = new DigestInputStream(fs.open(path), sha256); OutputStream out = Files.newOutputStream(partial)) {
      in.transferTo(out);
    }
    String found = "sha256:" + HexFormat.of().formatHex(sha256.digest());
    if (!found.equals(expected)) {
      Files.delete(partial);
      fail(DIGEST_MISMATCH, "spec.job.jar: the artifact area holds a jar of " + found + " under " + expected + " (" + source + "); refused, Flink was not started");
    }
    Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    System.out.println("jar-fetcher: " + source + " is " + expected + ", checked copy at " + target);
    // The S3 plugin's threads are not daemons and idle for a minute before they end.
    System.exit(0);
  }

  private static void fail(int code, String reason) {
    System.err.println("jar-fetcher: " + reason);
    try {
      Files.write(Paths.get(TERMINATION_LOG), reason.getBytes(StandardCharsets.UTF_8));
    } catch (Exception e) {
      // Outside a pod there is no termination log; stderr above says the same.
    }
    System.exit(code);
  }
}
