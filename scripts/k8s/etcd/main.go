// Command etcd is a single-member etcd for a throwaway control plane. Debian's etcd is 3.4, too old
// for kube-apiserver 1.36, and release binaries cannot be downloaded here, but the server library is
// already in k8s.io/kubernetes' dependency graph at the version the apiserver is tested with.
package main

import (
	"flag"
	"log"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"go.etcd.io/etcd/server/v3/embed"
)

func mustURL(raw string) url.URL {
	parsed, err := url.Parse(raw)
	if err != nil {
		log.Fatalf("bad URL %q: %v", raw, err)
	}
	return *parsed
}

func main() {
	dataDir := flag.String("data-dir", "", "where etcd keeps its data")
	clientURL := flag.String("listen-client-url", "http://127.0.0.1:2379", "URL the apiserver connects to")
	peerURL := flag.String("listen-peer-url", "http://127.0.0.1:2380", "URL of the (only) member's peer port")
	flag.Parse()

	cfg := embed.NewConfig()
	cfg.Dir = *dataDir
	cfg.LogLevel = "warn"
	// Test data is thrown away afterwards; skipping fsync keeps writes fast on a shared CI disk.
	cfg.UnsafeNoFsync = true
	cfg.ListenClientUrls = []url.URL{mustURL(*clientURL)}
	cfg.AdvertiseClientUrls = cfg.ListenClientUrls
	cfg.ListenPeerUrls = []url.URL{mustURL(*peerURL)}
	cfg.AdvertisePeerUrls = cfg.ListenPeerUrls
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)

	server, err := embed.StartEtcd(cfg)
	if err != nil {
		log.Fatalf("etcd did not start: %v", err)
	}
	<-server.Server.ReadyNotify()
	log.Printf("etcd ready on %s", *clientURL)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	select {
	case sig := <-stop:
		log.Printf("etcd stopping on %s", sig)
		server.Close()
	case err := <-server.Err():
		log.Fatalf("etcd failed: %v", err)
	}
}
