// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface IGatewayView {
    function subnetId() external view returns (string memory);
}

/// A minimal ERC20 plus helpers the Aspen EVM tests and benchmarks use.
contract Token {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    mapping(address => mapping(uint256 => uint256)) public scratch;
    uint256 public totalSupply;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor() {
        totalSupply = 1e27;
        balanceOf[msg.sender] = 1e27;
        emit Transfer(address(0), msg.sender, 1e27);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        require(balanceOf[msg.sender] >= value, "insufficient balance");
        balanceOf[msg.sender] -= value;
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        require(allowance[from][msg.sender] >= value, "insufficient allowance");
        require(balanceOf[from] >= value, "insufficient balance");
        allowance[from][msg.sender] -= value;
        balanceOf[from] -= value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
        return true;
    }

    /// Storage-heavy: writes n slots of the caller's scratch space.
    function scribble(uint256 n) external {
        for (uint256 i = 0; i < n; i++) {
            scratch[msg.sender][i] += i + 1;
        }
    }

    function hashOf(uint256 n) external view returns (bytes32) {
        return blockhash(n);
    }

    function gatewaySubnet() external view returns (string memory) {
        return IGatewayView(0xA5E0000000000000000000000000000000000001).subnetId();
    }
}
