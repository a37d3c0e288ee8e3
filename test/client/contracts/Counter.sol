// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// Counter exercises what wallets and dapps rely on: storage, an indexed event,
// a require() revert reason and a custom error.
contract Counter {
    uint256 public count;
    uint256 public constant LIMIT = 10;

    event Incremented(address indexed by, uint256 value);

    error TooBig(uint256 requested, uint256 limit);

    function increment() external {
        count += 1;
        emit Incremented(msg.sender, count);
    }

    // incrementBy reverts with a reason string when n is over the limit.
    function incrementBy(uint256 n) external {
        require(n <= LIMIT, "counter: too big");
        count += n;
        emit Incremented(msg.sender, count);
    }

    // setExactly reverts with the custom error TooBig when v is over the limit.
    function setExactly(uint256 v) external {
        if (v > LIMIT) revert TooBig(v, LIMIT);
        count = v;
        emit Incremented(msg.sender, count);
    }
}
