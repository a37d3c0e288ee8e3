// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import "docs/IHatchToken.sol";

/// The escape hatch for a token's balances (docs/CROSSNET.md, "Token claims"): ChildToken is a
/// plain ERC-20 in a subnet, its balances in the mapping at storage slot 0; BridgedToken is its
/// counterpart on the parent, which registers ChildToken's slot with the parent's gateway and
/// mints, through hatchPay, what a holder proves it held in the subnet once the subnet is frozen.
/// A real bridge would also lock and mint across the boundary while the subnet runs; the cap it
/// registers is then what it moved below. Compiled into HatchToken.json by ../compile.mjs.

/// The gateway's registration call (docs/IGateway.sol).
interface IGatewayTokenClaims {
    function registerClaimToken(string calldata id, address childToken, uint256 balanceSlot, uint256 cap) external;
}

contract ChildToken {
    mapping(address => uint256) public balanceOf; // slot 0: what BridgedToken registers
    uint256 public totalSupply;

    event Transfer(address indexed from, address indexed to, uint256 value);

    constructor(uint256 supply) {
        balanceOf[msg.sender] = supply;
        totalSupply = supply;
        emit Transfer(address(0), msg.sender, supply);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        require(balanceOf[msg.sender] >= value, "ChildToken: balance too low");
        balanceOf[msg.sender] -= value;
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
        return true;
    }
}

contract BridgedToken is IHatchToken {
    address constant GATEWAY = 0xA5E0000000000000000000000000000000000001;

    mapping(address => uint256) public balanceOf;
    uint256 public totalSupply;
    address public immutable owner;

    event Transfer(address indexed from, address indexed to, uint256 value);

    constructor() {
        owner = msg.sender;
    }

    /// Registers `childToken` in `subnet` for the escape hatch: its balances at slot 0, at most
    /// `cap` paid out in all.
    function registerHatch(string calldata subnet, address childToken, uint256 cap) external {
        require(msg.sender == owner, "BridgedToken: only the owner registers");
        IGatewayTokenClaims(GATEWAY).registerClaimToken(subnet, childToken, 0, cap);
    }

    function hatchPay(string calldata, address account, uint256 amount) external returns (bytes4) {
        require(msg.sender == GATEWAY, "BridgedToken: only the gateway pays claims");
        balanceOf[account] += amount;
        totalSupply += amount;
        emit Transfer(address(0), account, amount);
        return IHatchToken.hatchPay.selector;
    }

    function transfer(address to, uint256 value) external returns (bool) {
        require(balanceOf[msg.sender] >= value, "BridgedToken: balance too low");
        balanceOf[msg.sender] -= value;
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
        return true;
    }
}
