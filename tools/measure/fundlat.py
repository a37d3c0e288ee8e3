# fund latency: fund receipt (CLI returns) -> CrossMsgApplied(msgId) on the child (eth_getLogs), node1's RPC
import json, subprocess, sys, time, urllib.request
D, N = sys.argv[1], int(sys.argv[2])
base = json.load(open(D + "/devnet.json"))["nodes"][1]["rpc"]
def rpc(url, m, p):
    j = json.load(urllib.request.urlopen(urllib.request.Request(url, json.dumps({"jsonrpc":"2.0","id":1,"method":m,"params":p}).encode(), {"content-type":"application/json"})))
    if "error" in j: raise Exception(j["error"])
    return j["result"]
for parent, child in [("/devnet", "/devnet/alpha"), ("/devnet/alpha", "/devnet/alpha/one")]:
    lat = []
    for i in range(N):
        to = "0x%040x" % (0xf0d000 + i + int(time.time()) % 1000 * 100)
        out = subprocess.run(["bin/aspen","xfer","fund",child,"--to",to,"--value","0.01","--home",D+"/node1","--json"],capture_output=True,text=True)
        t1 = time.time()
        m = json.loads(out.stdout)
        while not rpc(base+child, "eth_getLogs", [{"fromBlock":"0x0","address":"0xa5e0000000000000000000000000000000000001","topics":[None, m["msgId"]]}]):
            time.sleep(0.005)
        lat.append((time.time()-t1)*1000)
        time.sleep(0.5)
    lat.sort()
    print("%s -> %s n=%d p50 %.0f ms p90 %.0f ms max %.0f ms" % (parent, child, N, lat[len(lat)//2], lat[min(len(lat)-1,int(len(lat)*0.9))], lat[-1]), flush=True)
