package memback

import (
	"context"
	"crypto/ecdsa"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"

	"github.com/aspen-chain/aspen/types"
)

// Fixture names what Populate put in the chain.
type Fixture struct {
	Contract  common.Address // deployed in block 2; calls to it store and log
	Recipient common.Address // received a plain transfer in block 1
	Delegate  common.Address // key 2's EIP-7702 delegation target
	Legacy    common.Hash    // block 1: EIP-155 transfer
	Deploy    common.Hash    // block 2: EIP-1559 contract creation
	AccessTx  common.Hash    // block 2: EIP-2930 call with a log
	Dynamic   common.Hash    // block 3: EIP-1559 call with a log
	SetCode   common.Hash    // block 3: EIP-7702 transaction
	Failed    common.Hash    // block 3: call to Reverter, status 0
}

// Populate makes a chain of 5 blocks after genesis: block 1 a legacy
// transfer, block 2 a deployment and an access-list call, block 3 a
// dynamic-fee call, a set-code transaction and a failed call, blocks 4 and 5
// empty.
func Populate(id types.SubnetID, chainID int64) (*Chain, Fixture) {
	c := New(id, chainID)
	keys := Keys()
	signer := c.Signer()
	cid := big.NewInt(chainID)
	var f Fixture
	f.Recipient = common.HexToAddress("0x00000000000000000000000000000000000beef1")
	f.Delegate = common.HexToAddress("0x00000000000000000000000000000000000de1e9")
	send := func(key *ecdsa.PrivateKey, inner gethtypes.TxData) common.Hash {
		tx := gethtypes.MustSignNewTx(key, signer, inner)
		if err := c.SendTx(context.Background(), tx); err != nil {
			panic("memback: populate: " + err.Error())
		}
		return tx.Hash()
	}
	gasPrice := big.NewInt(3 * InitialBaseFee)
	f.Legacy = send(keys[0], &gethtypes.LegacyTx{Nonce: 0, GasPrice: gasPrice, Gas: 21000, To: &f.Recipient, Value: big.NewInt(1e18)})
	c.Mine()

	deployer := crypto.PubkeyToAddress(keys[1].PublicKey)
	f.Contract = crypto.CreateAddress(deployer, 0)
	f.Deploy = send(keys[1], &gethtypes.DynamicFeeTx{ChainID: cid, Nonce: 0, GasTipCap: big.NewInt(Tip), GasFeeCap: gasPrice, Gas: 100000, Data: []byte{0x60, 0x00, 0x60, 0x00, 0xf3}})
	f.AccessTx = send(keys[0], &gethtypes.AccessListTx{
		ChainID: cid, Nonce: 1, GasPrice: gasPrice, Gas: 60000, To: &f.Contract,
		Data:       slot(1, 0xaa),
		AccessList: gethtypes.AccessList{{Address: f.Contract, StorageKeys: []common.Hash{common.BigToHash(big.NewInt(1))}}},
	})
	c.Mine()

	f.Dynamic = send(keys[0], &gethtypes.DynamicFeeTx{ChainID: cid, Nonce: 2, GasTipCap: big.NewInt(2 * Tip), GasFeeCap: gasPrice, Gas: 60000, To: &f.Contract, Value: big.NewInt(5), Data: slot(2, 0xbb)})
	auth, err := gethtypes.SignSetCode(keys[2], gethtypes.SetCodeAuthorization{ChainID: *uint256.MustFromBig(cid), Address: f.Delegate, Nonce: 1})
	if err != nil {
		panic("memback: populate: " + err.Error())
	}
	f.SetCode = send(keys[2], &gethtypes.SetCodeTx{
		ChainID: uint256.MustFromBig(cid), Nonce: 0, GasTipCap: uint256.NewInt(Tip), GasFeeCap: uint256.MustFromBig(gasPrice),
		Gas: 80000, To: f.Recipient, AuthList: []gethtypes.SetCodeAuthorization{auth},
	})
	f.Failed = send(keys[3], &gethtypes.DynamicFeeTx{ChainID: cid, Nonce: 0, GasTipCap: big.NewInt(Tip / 2), GasFeeCap: gasPrice, Gas: 30000, To: &Reverter})
	c.Mine()
	c.Mine()
	c.Mine()
	return c, f
}

// slot is call data storing value byte v at slot k.
func slot(k int64, v byte) []byte {
	return append(common.BigToHash(big.NewInt(k)).Bytes(), common.LeftPadBytes([]byte{v}, 32)...)
}

// StoreData is the call data with which a call to a contract stores v at slot k.
func StoreData(k int64, v byte) []byte { return slot(k, v) }
