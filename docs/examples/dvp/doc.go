// Command dvp sets up the delivery-versus-payment example of
// docs/examples/README.md: it deploys DemoToken and AtomicDvP
// (AtomicDvP.sol, compiled into AtomicDvP.json by ../compile.mjs) on the
// token's subnet, has the seller approve and offer tokens to a buyer, and
// writes the atomic plan the buyer submits with `aspen atomic submit`: the
// token leg (AtomicDvP with the offer) and a value leg paying the seller in
// native coin on another subnet. `dvp balance` reads a token balance.
//
//	go run ./docs/examples/dvp setup --rpc http://127.0.0.1:8546 --seller-key 0x… --buyer 0x… --amount 100 --price 3 --out dvp.json
//	go run ./docs/examples/dvp balance --rpc http://127.0.0.1:8546 --token 0x… --of 0x…
package main
