import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.codelibs.opensearch.runner.node.OpenSearchRunnerNode;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.geo.GeoModulePlugin;
import org.opensearch.index.mapper.MapperExtrasPlugin;
import org.opensearch.index.rankeval.RankEvalPlugin;
import org.opensearch.index.reindex.ReindexPlugin;
import org.opensearch.ingest.common.IngestCommonPlugin;
import org.opensearch.join.ParentJoinPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.percolator.PercolatorPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.script.expression.ExpressionPlugin;
import org.opensearch.script.mustache.MustachePlugin;
import org.opensearch.search.aggregations.matrix.MatrixAggregationPlugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * Runs one OpenSearch node inside this JVM, for the Sluice local stack.
 *
 * <p>Usage: {@code java -cp '<lib>/*' Launcher.java <home>}. Every node setting comes from
 * {@code <home>/config/opensearch.yml} and logging from {@code <home>/config/log4j2.properties},
 * both written by stack/services/opensearch.ts. The modules a distribution would load from
 * {@code modules/} are loaded from the classpath instead; Netty4 provides the HTTP and transport
 * layers. Once started, the node's persistent cluster settings get
 * {@code cluster.default_number_of_replicas: 0}, so new indices of this lone node are green.
 *
 * <p>The JVM runs until it gets SIGTERM, which closes the node cleanly; a node that fails to
 * start exits the JVM with status 1.
 */
public final class Launcher {
  private static final List<Class<? extends Plugin>> MODULES = List.of(
      Netty4Plugin.class,
      CommonAnalysisPlugin.class,
      MapperExtrasPlugin.class,
      PainlessPlugin.class,
      ExpressionPlugin.class,
      MustachePlugin.class,
      IngestCommonPlugin.class,
      ReindexPlugin.class,
      ParentJoinPlugin.class,
      PercolatorPlugin.class,
      RankEvalPlugin.class,
      MatrixAggregationPlugin.class,
      GeoModulePlugin.class);

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: Launcher.java <home>");
      System.exit(2);
    }
    Path home = Path.of(args[0]).toAbsolutePath();
    Settings input = Settings.builder().put("path.home", home.toString()).build();
    Environment environment =
        InternalSettingsPreparer.prepareEnvironment(input, Map.of(), home.resolve("config"), () -> "sluice");
    LogConfigurator.registerErrorListener();
    LogConfigurator.configure(environment);

    Node node = new OpenSearchRunnerNode(environment, MODULES);
    CountDownLatch closed = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        node.close();
        node.awaitClose(15, TimeUnit.SECONDS);
      } catch (Exception e) {
        e.printStackTrace();
      } finally {
        closed.countDown();
      }
    }, "sluice-opensearch-shutdown"));
    try {
      node.start();
      // Index creation reads this default from the cluster's settings, not from opensearch.yml.
      node.client().admin().cluster().prepareUpdateSettings()
          .setPersistentSettings(Settings.builder().put("cluster.default_number_of_replicas", 0))
          .get();
    } catch (Throwable e) {
      e.printStackTrace();
      System.exit(1);
    }
    // The node's threads may all be daemons; this non-daemon wait keeps the JVM alive until SIGTERM.
    closed.await();
  }
}
