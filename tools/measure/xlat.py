# cross-message latency: from the send's receipt (CLI returns) to CrossMsgApplied on dst.
import json, subprocess, sys, time, urllib.request
D, N = sys.argv[1], int(sys.argv[2])
base = json.load(open(D + "/devnet.json"))["nodes"][1]["rpc"]
def rpc(url, m, p):
    r = urllib.request.urlopen(urllib.request.Request(url, json.dumps({"jsonrpc":"2.0","id":1,"method":m,"params":p}).encode(), {"content-type":"application/json"}))
    j = json.load(r)
    if "error" in j: raise Exception(j["error"])
    return j["result"]
def cli(*a):
    out = subprocess.run(["bin/aspen", *a, "--json"], capture_output=True, text=True)
    if out.returncode != 0: raise Exception(out.stderr)
    return json.loads(out.stdout)
routes = [
  ("child->parent", lambda to: cli("xfer","release","/devnet/alpha","--to",to,"--value","0.01","--home",D+"/node0")),
  ("parent->child", lambda to: cli("xfer","send","/devnet/alpha","--src","/devnet","--to",to,"--value","0.01","--home",D+"/node0")),
  ("sibling", lambda to: cli("xfer","send","/devnet/beta","--src","/devnet/alpha","--to",to,"--value","0.01","--home",D+"/node1")),
  ("cousin d2", lambda to: cli("xfer","send","/devnet/beta/two","--src","/devnet/alpha/one","--to",to,"--value","0.01","--home",D+"/node1")),
]
k = 0
for name, f in routes:
    lat = []
    for i in range(N):
        k += 1
        m = f("0x%040x" % (0xabc000 + k + int(time.time()) % 1000 * 1000))
        t1 = time.time()
        dst = m["dst"]; url = base + ("" if dst == "/devnet" else dst)
        while not rpc(url, "eth_getLogs", [{"fromBlock":"0x0","address":"0xa5e0000000000000000000000000000000000001","topics":[None, m["msgId"]]}]):
            time.sleep(0.01)
        lat.append((time.time()-t1)*1000)
    lat.sort()
    print("%-14s n=%d p50 %5.0f ms  p90 %5.0f ms  max %5.0f ms" % (name, N, lat[len(lat)//2], lat[min(len(lat)-1,int(len(lat)*0.9))], lat[-1]), flush=True)
