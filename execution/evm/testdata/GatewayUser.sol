// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import "../../../../shared/design/IGateway.sol";

/// Calls the gateway from Solidity, for the gateway tests of execution/evm:
/// msg.sender seen by the gateway is this contract.
contract GatewayUser {
    IGateway constant GATEWAY = IGateway(0xA5E0000000000000000000000000000000000001);

    function create(string calldata name, IGateway.SubnetParams calldata params) external returns (string memory) {
        return GATEWAY.createSubnet(name, params);
    }

    function fund(string calldata childId, address to) external payable returns (bytes32) {
        return GATEWAY.fund{value: msg.value}(childId, to);
    }

    function kill(string calldata id) external {
        GATEWAY.kill(id);
    }

    /// createSubnet through STATICCALL; bubbles up the gateway's revert.
    function staticCreate(string calldata name, IGateway.SubnetParams calldata params) external view returns (bytes memory) {
        (bool ok, bytes memory ret) = address(GATEWAY).staticcall(abi.encodeCall(IGateway.createSubnet, (name, params)));
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }

    receive() external payable {}
}
