// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// IHatchToken is what a token's contract on a parent chain implements so that its holders in a
/// frozen child subnet can claim their balances there (the escape hatch for ERC-20 balances;
/// CROSSNET.md, "Escape hatch"). The contract registers itself once, while the child runs:
///
///     IGateway(0xA5E0…0001).registerClaimToken("/devnet/games", childToken, balanceSlot, cap);
///
/// `childToken` is the token's address in the child, `balanceSlot` the storage slot of its
/// `mapping(address => uint256)` of balances (0 for a contract whose first state variable it is;
/// `forge inspect` or solc's storageLayout tell), and `cap` the most it will pay out of that
/// child in claims — what its bridge moved below, say. Once the child is frozen, anyone submits
/// IGateway.claimToken with a holder's proofs; the gateway checks them against the child's last
/// checkpoint, records the claim (once per holder) and calls hatchPay.
interface IHatchToken {
    /// Pay `amount` to `account` here, for its balance in the frozen subnet `subnet`. Called only
    /// by the gateway (check msg.sender), with 200000 gas, after the gateway recorded the claim;
    /// return this function's selector (IHatchToken.hatchPay.selector) to accept. Reverting or
    /// returning anything else reverts the claim, which can then be submitted again.
    function hatchPay(string calldata subnet, address account, uint256 amount) external returns (bytes4);
}
